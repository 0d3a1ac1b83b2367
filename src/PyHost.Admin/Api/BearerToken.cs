using System.Security.Cryptography;
using System.Text;

namespace PyHost.Admin.Api;

/// <summary>The admin API's TCP callers send <c>Authorization: Bearer TOKEN</c> (RFC 6750 §2.1); the token is read
/// from a file so it never shows in <c>ps</c>.</summary>
public static class BearerToken
{
    /// <summary>The token in the file (surrounding whitespace dropped), or an error naming the file and a hint.</summary>
    public static bool TryRead(string path, out string token, out string? error)
    {
        token = "";
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"--admin-token-file '{path}': {ex.Message}";
            return false;
        }
        if (token.Length < 16 || token.Any(c => c is < '!' or > '~'))
        {
            error = $"--admin-token-file '{path}': the token must be at least 16 printable ASCII characters without spaces (hint: head -c 24 /dev/urandom | base64 > {path})";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>True when the Authorization header carries exactly this token; compared in constant time.</summary>
    public static bool Matches(string? authorization, string token)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(token));
    }
}
