namespace PyHost.Http.Compression;

/// <summary>The content codings PyHost can produce (RFC 9110 §8.4.1), and their names on the wire.</summary>
public enum ContentCoding
{
    Identity,
    Gzip,
    Brotli,
    Zstd,
}

public static class ContentCodings
{
    /// <summary>The token in Accept-Encoding and Content-Encoding: gzip (RFC 9110 §8.4.1.3), br (RFC 7932), zstd (RFC 8878).</summary>
    public static string Token(this ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => "gzip",
        ContentCoding.Brotli => "br",
        ContentCoding.Zstd => "zstd",
        _ => "identity",
    };

    /// <summary>The extension of a precompressed sibling file, as nginx, Caddy and the compressing tools write it.</summary>
    public static string FileExtension(this ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => ".gz",
        ContentCoding.Brotli => ".br",
        ContentCoding.Zstd => ".zst",
        _ => "",
    };

    /// <summary>A coding from its token; "x-gzip" is gzip (RFC 9110 §8.4.1.3). Case-insensitive (§8.4.1).</summary>
    public static bool TryParse(ReadOnlySpan<char> token, out ContentCoding coding)
    {
        coding = token switch
        {
            _ when token.Equals("gzip", StringComparison.OrdinalIgnoreCase) || token.Equals("x-gzip", StringComparison.OrdinalIgnoreCase) => ContentCoding.Gzip,
            _ when token.Equals("br", StringComparison.OrdinalIgnoreCase) => ContentCoding.Brotli,
            _ when token.Equals("zstd", StringComparison.OrdinalIgnoreCase) => ContentCoding.Zstd,
            _ when token.Equals("identity", StringComparison.OrdinalIgnoreCase) => ContentCoding.Identity,
            _ => (ContentCoding)(-1),
        };
        return (int)coding >= 0;
    }

    /// <summary>Reads a comma-separated list of codings ("zstd,br,gzip"); null with an error naming the bad one.</summary>
    public static IReadOnlyList<ContentCoding>? ParseList(string text, out string? error)
    {
        var codings = new List<ContentCoding>();
        foreach (string token in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParse(token, out ContentCoding coding) || coding == ContentCoding.Identity)
            {
                error = $"'{token}' is not a coding PyHost produces: use zstd, br or gzip";
                return null;
            }
            if (!codings.Contains(coding))
            {
                codings.Add(coding);
            }
        }
        if (codings.Count == 0)
        {
            error = "expected one or more of zstd, br, gzip";
            return null;
        }
        error = null;
        return codings;
    }
}
