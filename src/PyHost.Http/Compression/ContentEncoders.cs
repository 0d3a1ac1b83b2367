using System.IO.Compression;

namespace PyHost.Http.Compression;

/// <summary>
/// The encoder streams: gzip and Brotli from System.IO.Compression (zlib-ng and Google's brotli inside the runtime),
/// zstd from ZstdSharp.Port (a managed port of the reference library: no native library to ship, and it publishes
/// under NativeAOT without trim warnings). Each one's Flush emits everything written so far as complete blocks
/// (zlib Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH, ZSTD_e_flush), which is what lets a stream reach the client event by
/// event; disposing writes the end of the stream.
/// </summary>
internal static class ContentEncoders
{
    public static Stream Create(ContentCoding coding, int level, Stream output) => coding switch
    {
        ContentCoding.Gzip => new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true),
        ContentCoding.Brotli => new BrotliStream(output, new BrotliCompressionOptions { Quality = level }, leaveOpen: true),
        ContentCoding.Zstd => new ZstdSharp.CompressionStream(output, level, bufferSize: 0, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "identity is not an encoder"),
    };
}
