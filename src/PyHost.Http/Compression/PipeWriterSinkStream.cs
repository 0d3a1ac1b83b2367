using System.Buffers;
using System.IO.Pipelines;

namespace PyHost.Http.Compression;

/// <summary>
/// A write-only stream into a <see cref="PipeWriter"/>: where an encoder stream (GZipStream, BrotliStream, zstd's
/// CompressionStream) puts its output, straight into Kestrel's response pipe. Writes are copied, not flushed; a
/// flush of the stream flushes the pipe, and so does a write that leaves more than <see cref="BackPressureBytes"/>
/// unflushed, so a long body without flushes cannot pile up in memory.
/// </summary>
internal sealed class PipeWriterSinkStream(PipeWriter destination) : WriteOnlyStream
{
    private const long BackPressureBytes = 64 * 1024;

    public override void Write(ReadOnlySpan<byte> buffer) => destination.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        destination.Write(buffer.Span);
        return destination.UnflushedBytes > BackPressureBytes ? FlushPipeAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => FlushPipeAsync(cancellationToken).AsTask();

    private async ValueTask FlushPipeAsync(CancellationToken cancellationToken)
    {
        FlushResult result = await destination.FlushAsync(cancellationToken);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("the response body flush was cancelled");
        }
    }
}
