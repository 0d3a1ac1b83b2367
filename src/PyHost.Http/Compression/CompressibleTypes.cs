namespace PyHost.Http.Compression;

/// <summary>
/// Which media types are worth compressing: text, and the structured text formats (JSON, JavaScript, XML, SVG, web
/// fonts that are not compressed already). Images, audio, video, archives and WOFF fonts are compressed by their
/// own format; compressing them again costs CPU and gains nothing, so they are never on the list.
/// A pattern is a media type ("application/json"), a type wildcard ("text/*") or a suffix ("+json", RFC 6839).
/// </summary>
public sealed class CompressibleTypes
{
    public static readonly IReadOnlyList<string> DefaultPatterns =
    [
        "text/*", "+json", "+xml", "application/json", "application/javascript", "application/x-javascript",
        "application/ecmascript", "application/xml", "application/wasm", "application/graphql-response+json",
        "application/vnd.ms-fontobject", "application/x-font-ttf", "font/ttf", "font/otf", "font/collection",
        "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon", "image/bmp",
    ];

    /// <summary>Never compressed, whatever the patterns say: formats that are compressed already.</summary>
    private static readonly string[] AlreadyCompressed =
    [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "font/woff", "font/woff2",
        "application/zip", "application/gzip", "application/x-gzip", "application/zstd", "application/x-bzip2",
        "application/x-xz", "application/x-7z-compressed", "application/pdf", "application/octet-stream",
    ];

    public static readonly CompressibleTypes Default = new(DefaultPatterns);

    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _typeWildcards = [];
    private readonly List<string> _suffixes = [];

    public CompressibleTypes(IEnumerable<string> patterns)
    {
        foreach (string pattern in patterns)
        {
            if (pattern.StartsWith('+'))
            {
                _suffixes.Add(pattern);
            }
            else if (pattern.EndsWith("/*", StringComparison.Ordinal))
            {
                _typeWildcards.Add(pattern[..^1]);   // "text/"
            }
            else
            {
                _exact.Add(pattern);
            }
        }
    }

    /// <summary>Whether a Content-Type value ("text/html; charset=utf-8") names a compressible type.</summary>
    public bool IsCompressible(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }
        int semicolon = contentType.IndexOf(';');
        string mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        if (AlreadyCompressed.Contains(mediaType, StringComparer.OrdinalIgnoreCase) || mediaType.StartsWith("video/", StringComparison.OrdinalIgnoreCase)
            || mediaType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (_exact.Contains(mediaType))
        {
            return true;
        }
        foreach (string prefix in _typeWildcards)
        {
            if (mediaType.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        foreach (string suffix in _suffixes)
        {
            if (mediaType.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
