using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace PyHost.Http.Access.BasicAuth;

/// <summary>
/// Poul-Henning Kamp's MD5 crypt: <c>$1$SALT$HASH</c> (glibc) and Apache's variant <c>$apr1$SALT$HASH</c>, which
/// differs only in the magic string mixed in. 1000 rounds of MD5 over password, salt and the previous digest.
/// </summary>
internal sealed class Md5CryptHash : PasswordHash
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private readonly string _magic;
    private readonly string _salt;
    private readonly byte[] _stored;

    private Md5CryptHash(string magic, string salt, byte[] stored)
    {
        _magic = magic;
        _salt = salt;
        _stored = stored;
    }

    public override string Kind => _magic == "$apr1$" ? "apr1-MD5" : "MD5 crypt";

    public static bool TryParse(string text, [NotNullWhen(true)] out Md5CryptHash? hash)
    {
        hash = null;
        string magic = text.StartsWith("$apr1$", StringComparison.Ordinal) ? "$apr1$" : "$1$";
        string rest = text[magic.Length..];
        int dollar = rest.IndexOf('$');
        if (dollar is < 0 or > 8 || rest.Length - dollar - 1 != 22 || rest[(dollar + 1)..].Any(c => !Alphabet.Contains(c)))
        {
            return false;
        }
        hash = new Md5CryptHash(magic, rest[..dollar], Encoding.ASCII.GetBytes(rest[(dollar + 1)..]));
        return true;
    }

    public override bool Verify(string password) => SameBytes(Encoding.ASCII.GetBytes(Compute(password, _salt, _magic)), _stored);

    /// <summary>The 22 characters after the salt.</summary>
    public static string Compute(string password, string salt, string magic)
    {
        byte[] pw = Encoding.UTF8.GetBytes(password);
        byte[] saltBytes = Encoding.ASCII.GetBytes(salt);
        byte[] alternate = MD5.HashData([.. pw, .. saltBytes, .. pw]);

        var context = new List<byte>(pw.Length * 3 + 64);
        context.AddRange(pw);
        context.AddRange(Encoding.ASCII.GetBytes(magic));
        context.AddRange(saltBytes);
        for (int left = pw.Length; left > 0; left -= 16)
        {
            context.AddRange(alternate.AsSpan(0, Math.Min(16, left)));
        }
        for (int bits = pw.Length; bits != 0; bits >>= 1)
        {
            context.Add((bits & 1) != 0 ? (byte)0 : pw.Length > 0 ? pw[0] : (byte)0);
        }
        byte[] digest = MD5.HashData(context.ToArray());

        var round = new List<byte>(pw.Length * 2 + 32);
        for (int i = 0; i < 1000; i++)
        {
            round.Clear();
            round.AddRange((i & 1) != 0 ? pw : digest);
            if (i % 3 != 0)
            {
                round.AddRange(saltBytes);
            }
            if (i % 7 != 0)
            {
                round.AddRange(pw);
            }
            round.AddRange((i & 1) != 0 ? digest : pw);
            digest = MD5.HashData(round.ToArray());
        }

        var text = new StringBuilder(22);
        Encode(text, digest[0], digest[6], digest[12], 4);
        Encode(text, digest[1], digest[7], digest[13], 4);
        Encode(text, digest[2], digest[8], digest[14], 4);
        Encode(text, digest[3], digest[9], digest[15], 4);
        Encode(text, digest[4], digest[10], digest[5], 4);
        Encode(text, 0, 0, digest[11], 2);
        return text.ToString();
    }

    private static void Encode(StringBuilder text, byte high, byte middle, byte low, int characters)
    {
        int value = (high << 16) | (middle << 8) | low;
        for (int i = 0; i < characters; i++)
        {
            text.Append(Alphabet[value & 0x3f]);
            value >>= 6;
        }
    }
}
