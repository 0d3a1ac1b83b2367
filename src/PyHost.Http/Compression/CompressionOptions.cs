namespace PyHost.Http.Compression;

/// <summary>
/// Response compression, as a route of the configuration file will carry it; today one record for the whole front
/// from the <c>--compress*</c> flags.
/// </summary>
public sealed record CompressionOptions
{
    /// <summary>The codings offered, in the server's order of preference for equal client weights. zstd first: at
    /// its default level it compresses as well as gzip at a fraction of the CPU; then Brotli, then gzip, which every
    /// client has.</summary>
    public IReadOnlyList<ContentCoding> Codings { get; init; } = [ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip];

    /// <summary>gzip level, 1 (fastest) to 9 (smallest); nginx's default is 1, Caddy's 5.</summary>
    public int GzipLevel { get; init; } = 5;

    /// <summary>Brotli quality, 0 to 11; 4 is about gzip 9's size at gzip 5's speed.</summary>
    public int BrotliQuality { get; init; } = 4;

    /// <summary>zstd level, 1 to 19 (the library's default is 3).</summary>
    public int ZstdLevel { get; init; } = 3;

    /// <summary>Bodies with a Content-Length below this are sent as they are: the coding's header and the lost
    /// Content-Length cost more than they save (nginx <c>gzip_min_length</c>, Caddy <c>minimum_length</c>).
    /// Streamed bodies of unknown length are compressed.</summary>
    public long MinimumLength { get; init; } = 512;

    /// <summary>Which media types are compressed.</summary>
    public CompressibleTypes Types { get; init; } = CompressibleTypes.Default;

    /// <summary>The level of a coding, for the encoder.</summary>
    public int LevelOf(ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => GzipLevel,
        ContentCoding.Brotli => BrotliQuality,
        ContentCoding.Zstd => ZstdLevel,
        _ => 0,
    };
}
