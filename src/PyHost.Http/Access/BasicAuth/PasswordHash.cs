using System.Security.Cryptography;
using System.Text;

namespace PyHost.Http.Access.BasicAuth;

/// <summary>
/// One user's password hash from an htpasswd file, in one of the forms Apache's htpasswd writes that PyHost reads:
/// bcrypt (<c>$2y$</c>, <c>-B</c>), SHA-256 and SHA-512 crypt (<c>$5$</c>, <c>$6$</c>, <c>-2</c>, <c>-5</c>), apr1-MD5
/// (<c>$apr1$</c>, <c>-m</c>, the default), glibc's MD5 crypt (<c>$1$</c>) and <c>{SHA}</c> (<c>-s</c>). Every comparison of a computed hash with the stored one takes the same time whatever
/// they share (bcrypt's own check does the same).
/// </summary>
public abstract class PasswordHash
{
    public abstract string Kind { get; }

    public abstract bool Verify(string password);

    /// <summary>Reads a stored hash, or says why it cannot be used.</summary>
    public static PasswordHash? Parse(string stored, out string? problem)
    {
        problem = null;
        if (stored.StartsWith("$2y$", StringComparison.Ordinal) || stored.StartsWith("$2a$", StringComparison.Ordinal) || stored.StartsWith("$2b$", StringComparison.Ordinal))
        {
            if (stored.Length != 60)
            {
                problem = "a bcrypt hash is 60 characters long; this one is cut or damaged";
                return null;
            }
            return new BcryptHash(stored);
        }
        if (stored.StartsWith("$apr1$", StringComparison.Ordinal) || stored.StartsWith("$1$", StringComparison.Ordinal))
        {
            return Md5CryptHash.TryParse(stored, out Md5CryptHash? md5) ? md5 : Fail("an MD5 crypt hash is $apr1$SALT$HASH with a 22-character hash; this one is damaged", out problem);
        }
        if (stored.StartsWith("{SHA}", StringComparison.Ordinal))
        {
            byte[] digest = new byte[20];
            return Convert.TryFromBase64String(stored[5..], digest, out int length) && length == 20
                ? new Sha1Hash(digest)
                : Fail("a {SHA} hash is the base64 of 20 bytes; this one is damaged", out problem);
        }
        if (stored.StartsWith("$5$", StringComparison.Ordinal) || stored.StartsWith("$6$", StringComparison.Ordinal))
        {
            return ShaCryptHash.TryParse(stored, out ShaCryptHash? sha) ? sha : Fail("a SHA crypt hash is $5$[rounds=N$]SALT$HASH (or $6$...); this one is damaged", out problem);
        }
        return Fail("the password is plain text or a DES crypt(3) hash (htpasswd -p or -d), which PyHost refuses; hash it with bcrypt: htpasswd -B FILE USER", out problem);
    }

    private static PasswordHash? Fail(string message, out string? problem)
    {
        problem = message;
        return null;
    }

    protected static bool SameBytes(ReadOnlySpan<byte> computed, ReadOnlySpan<byte> stored) => CryptographicOperations.FixedTimeEquals(computed, stored);
}

/// <summary><c>$2y$COST$SALTHASH</c>: bcrypt, checked by BCrypt.Net-Next (its comparison is constant-time).</summary>
internal sealed class BcryptHash(string stored) : PasswordHash
{
    public override string Kind => "bcrypt";

    public override bool Verify(string password)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, stored);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}

/// <summary><c>{SHA}BASE64</c>: one SHA-1 of the password, unsalted (htpasswd -s; kept for old files).</summary>
internal sealed class Sha1Hash(byte[] digest) : PasswordHash
{
    public override string Kind => "{SHA}";

    public override bool Verify(string password) => SameBytes(SHA1.HashData(Encoding.UTF8.GetBytes(password)), digest);
}
