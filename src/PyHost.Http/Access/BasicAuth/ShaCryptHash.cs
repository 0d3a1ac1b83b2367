using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PyHost.Http.Access.BasicAuth;

/// <summary>
/// Ulrich Drepper's SHA-crypt, as glibc's crypt(3) and htpasswd -2/-5 write it: <c>$5$[rounds=N$]SALT$HASH</c>
/// (SHA-256) and <c>$6$...</c> (SHA-512), 5000 rounds unless said (the spec: "Unix crypt using SHA-256 and SHA-512").
/// </summary>
internal sealed class ShaCryptHash : PasswordHash
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int DefaultRounds = 5000;

    // The byte order of the final encoding (the spec's b64_from_24bit calls): three bytes per four characters.
    private static readonly int[][] Sha256Order =
    [
        [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
    ];

    private static readonly int[][] Sha512Order =
    [
        [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
        [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
    ];

    private readonly bool _sha512;
    private readonly int _rounds;
    private readonly string _salt;
    private readonly byte[] _stored;

    private ShaCryptHash(bool sha512, int rounds, string salt, byte[] stored)
    {
        _sha512 = sha512;
        _rounds = rounds;
        _salt = salt;
        _stored = stored;
    }

    public override string Kind => _sha512 ? "SHA-512 crypt" : "SHA-256 crypt";

    public static bool TryParse(string text, [NotNullWhen(true)] out ShaCryptHash? hash)
    {
        hash = null;
        bool sha512 = text.StartsWith("$6$", StringComparison.Ordinal);
        string rest = text[3..];
        int rounds = DefaultRounds;
        if (rest.StartsWith("rounds=", StringComparison.Ordinal))
        {
            int end = rest.IndexOf('$');
            if (end < 0 || !int.TryParse(rest.AsSpan(7, end - 7), NumberStyles.None, CultureInfo.InvariantCulture, out rounds))
            {
                return false;
            }
            rounds = Math.Clamp(rounds, 1000, 999_999_999);
            rest = rest[(end + 1)..];
        }
        int dollar = rest.IndexOf('$');
        string encoded = dollar < 0 ? "" : rest[(dollar + 1)..];
        if (dollar < 0 || encoded.Length != (sha512 ? 86 : 43) || encoded.Any(c => !Alphabet.Contains(c)))
        {
            return false;
        }
        hash = new ShaCryptHash(sha512, rounds, rest[..Math.Min(dollar, 16)], Encoding.ASCII.GetBytes(encoded));
        return true;
    }

    public override bool Verify(string password) => SameBytes(Encoding.ASCII.GetBytes(Compute(password, _salt, _rounds, _sha512)), _stored);

    /// <summary>The encoded hash (after SALT$) of a password, by the spec's steps.</summary>
    public static string Compute(string password, string salt, int rounds, bool sha512)
    {
        byte[] p = Encoding.UTF8.GetBytes(password);
        byte[] s = Encoding.UTF8.GetBytes(salt);
        Func<byte[], byte[]> hash = sha512 ? SHA512.HashData : SHA256.HashData;
        int size = sha512 ? 64 : 32;

        byte[] b = hash([.. p, .. s, .. p]);
        var a = new List<byte>(p.Length * 2 + s.Length + size);
        a.AddRange(p);
        a.AddRange(s);
        for (int left = p.Length; left > 0; left -= size)
        {
            a.AddRange(b.AsSpan(0, Math.Min(size, left)));
        }
        for (int bits = p.Length; bits > 0; bits >>= 1)
        {
            a.AddRange((bits & 1) != 0 ? b : p);
        }
        byte[] digest = hash([.. a]);

        byte[] dp = hash(Repeat(p, p.Length));
        byte[] pSequence = Stretch(dp, p.Length);
        byte[] ds = hash(Repeat(s, 16 + digest[0]));
        byte[] sSequence = Stretch(ds, s.Length);

        var c = new List<byte>(pSequence.Length * 2 + sSequence.Length + size);
        for (int i = 0; i < rounds; i++)
        {
            c.Clear();
            c.AddRange((i & 1) != 0 ? pSequence : digest);
            if (i % 3 != 0)
            {
                c.AddRange(sSequence);
            }
            if (i % 7 != 0)
            {
                c.AddRange(pSequence);
            }
            c.AddRange((i & 1) != 0 ? digest : pSequence);
            digest = hash([.. c]);
        }

        var text = new StringBuilder(sha512 ? 86 : 43);
        foreach (int[] group in sha512 ? Sha512Order : Sha256Order)
        {
            Encode(text, digest[group[0]], digest[group[1]], digest[group[2]], 4);
        }
        if (sha512)
        {
            Encode(text, 0, 0, digest[63], 2);
        }
        else
        {
            Encode(text, 0, digest[31], digest[30], 3);
        }
        return text.ToString();
    }

    private static byte[] Repeat(byte[] bytes, int times)
    {
        byte[] result = new byte[bytes.Length * times];
        for (int i = 0; i < times; i++)
        {
            bytes.CopyTo(result, i * bytes.Length);
        }
        return result;
    }

    /// <summary>The digest repeated and cut to <paramref name="length"/> bytes.</summary>
    private static byte[] Stretch(byte[] digest, int length)
    {
        byte[] result = new byte[length];
        for (int at = 0; at < length; at += digest.Length)
        {
            digest.AsSpan(0, Math.Min(digest.Length, length - at)).CopyTo(result.AsSpan(at));
        }
        return result;
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
