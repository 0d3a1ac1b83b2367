using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Access.BasicAuth;

/// <summary>The user a request was authenticated as (WSGI's REMOTE_USER, the access log's user field).</summary>
public sealed record AuthenticatedUser(string Name);

/// <summary>
/// HTTP basic authentication (RFC 7617) against an htpasswd file: a request without valid credentials gets 401 with
/// <c>WWW-Authenticate: Basic realm="...", charset="UTF-8"</c>, and a failed attempt is logged with its user name and
/// client, never its password. A user the file lacks costs the same bcrypt work as one with a wrong password, so the
/// answer's timing does not tell which names exist. Checked credentials are remembered (by a keyed hash, not the
/// password) so that bcrypt's deliberate slowness is paid once per user and password, not on every request.
/// </summary>
public sealed partial class BasicAuthGuard
{
    private const int RememberedMax = 4096;
    // A bcrypt hash of a random password at htpasswd's default cost: what an unknown user's attempt is checked against
    // when the file has no users of its own to stand in (HtpasswdFile.DecoyFor).
    private static readonly string DecoyHash = BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), 5);

    private readonly HtpasswdFile _file;
    private readonly ILogger _logger;
    private readonly string _challenge;
    private readonly byte[] _rememberKey = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, PasswordHash> _remembered = new(StringComparer.Ordinal);

    public BasicAuthGuard(BasicAuthConfig config, HtpasswdFile file, ILogger logger)
    {
        _file = file;
        _logger = logger;
        Realm = config.Realm;
        _challenge = $"Basic realm=\"{config.Realm.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\", charset=\"UTF-8\"";
    }

    public string Realm { get; }

    /// <summary>True when the request carries a user and password the file accepts; otherwise the 401 is written.</summary>
    public async ValueTask<bool> AdmitAsync(HttpContext context)
    {
        string? user = null;
        string reason;
        if (!TryReadCredentials(context.Request.Headers.Authorization.ToString(), out user, out string? password))
        {
            reason = user is null && context.Request.Headers.Authorization.Count == 0 ? "" : "malformed Authorization header";
        }
        else if (Check(user!, password!) is { } failure)
        {
            reason = failure;
        }
        else
        {
            context.Features.Set(new AuthenticatedUser(user!));
            return true;
        }
        if (reason.Length > 0)
        {
            LogFailed(user ?? "-", RequestOriginFeature.Get(context).RemoteAddress, context.Request.Path.Value ?? "/", Realm, reason);
        }
        context.Response.Headers.WWWAuthenticate = _challenge;
        await ErrorPages.WriteAsync(context, StatusCodes.Status401Unauthorized, "This page needs a user name and password.");
        return false;
    }

    /// <summary>Null when the credentials are good; else what was wrong, for the log.</summary>
    private string? Check(string user, string password)
    {
        PasswordHash? hash = _file.Find(user);
        string key = RememberKey(user, password);
        lock (_remembered)
        {
            if (hash is not null && _remembered.TryGetValue(key, out PasswordHash? known) && ReferenceEquals(known, hash))
            {
                return null;
            }
        }
        if (hash is null)
        {
            // The same work as a wrong password: a fixed decoy would time differently from a file of cost-12 bcrypt
            // (measured: 2.6 ms against 270-430 ms), or of apr1, and so tell which names exist.
            if (_file.DecoyFor(user) is { } decoy)
            {
                decoy.Verify(password);
            }
            else
            {
                BCrypt.Net.BCrypt.Verify(password, DecoyHash);
            }
            return "no such user";
        }
        if (!hash.Verify(password))
        {
            return "wrong password";
        }
        lock (_remembered)
        {
            if (_remembered.Count >= RememberedMax)
            {
                _remembered.Clear();
            }
            _remembered[key] = hash;   // a reload makes new hash objects: what is remembered then no longer counts
        }
        return null;
    }

    private string RememberKey(string user, string password) =>
        Convert.ToBase64String(HMACSHA256.HashData(_rememberKey, Encoding.UTF8.GetBytes(user + "\0" + password)));

    /// <summary>"Basic BASE64(user:password)"; the scheme's case does not matter (RFC 9110 §11.1), the charset is UTF-8 (RFC 7617 §2.1).</summary>
    public static bool TryReadCredentials(string header, out string? user, out string? password)
    {
        user = null;
        password = null;
        string value = header.Trim();
        if (!value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        string encoded = value[6..].Trim();
        byte[] decoded = new byte[(encoded.Length * 3 + 3) / 4];
        if (!Convert.TryFromBase64String(encoded, decoded, out int length))
        {
            return false;
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        int colon = text.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }
        user = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }

    [LoggerMessage(EventId = 630, Level = LogLevel.Warning, Message = "Basic auth failed for user '{User}' from {Client} on {Path} (realm \"{Realm}\"): {Reason}")]
    private partial void LogFailed(string user, string client, string path, string realm, string reason);
}
