using PyHost.Http.Compression;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// How one static mount answers, beyond where its files are: what a route of the configuration file will carry.
/// Today every <c>--static</c> mount gets the same record, from the <c>--static-*</c> flags.
/// </summary>
public sealed record StaticFileOptions
{
    public static readonly StaticFileOptions Default = new();

    /// <summary>The file served for a directory path (nginx <c>index</c>), e.g. "index.html"; null: directories are 404.
    /// A directory path without its trailing slash is first redirected to it (301), as nginx does, so relative links
    /// in the index page resolve below the directory.</summary>
    public string? IndexFile { get; init; }

    /// <summary>The file, relative to the mount's directory, served with 200 for paths that name no file
    /// (nginx <c>try_files $uri /index.html</c>): a single-page app's router takes it from there. Null: 404.</summary>
    public string? FallbackFile { get; init; }

    /// <summary>Cache-Control rules, the first match wins; no match, no Cache-Control.</summary>
    public IReadOnlyList<CacheControlRule> CacheControl { get; init; } = [];

    /// <summary>Precompressed siblings to look for (<c>FILE.br</c>, <c>FILE.zst</c>, <c>FILE.gz</c>), in the order the
    /// server prefers them when the client accepts several equally (nginx <c>gzip_static</c>, Caddy <c>precompressed</c>).
    /// Empty: siblings are ordinary files.</summary>
    public IReadOnlyList<ContentCoding> Precompressed { get; init; } = [];

    /// <summary>A file sent with the 404 of a missing file, instead of the front's own page (nginx <c>error_page 404</c>).</summary>
    public ErrorPageFile? NotFoundPage { get; init; }

    /// <summary>Large files go from the page cache to the socket with sendfile(2) where the connection allows it
    /// (plaintext HTTP/1.x, not compressed on the fly) — nginx <c>sendfile on</c>. Off: always read and written.</summary>
    public bool SendFile { get; init; } = true;

    /// <summary>Requests with more ranges than this get the whole file (RFC 9110 §14.3).</summary>
    public int MaxRanges { get; init; } = ByteRangeSet.DefaultMaxRanges;
}
