using System.IO.Pipelines;

namespace PyHost.Http.Compression;

/// <summary>
/// The body writer a compressing request's handler sees. Its first use decides the response (see
/// <see cref="CompressedResponseBody.Decide"/>); from then on every call goes to the chosen writer, Kestrel's or
/// the encoder's. Complete only finishes this writer's part; Kestrel completes its own at the end of the request.
/// </summary>
internal sealed class DecidingPipeWriter(CompressedResponseBody body) : PipeWriter
{
    public override bool CanGetUnflushedBytes => body.Target.CanGetUnflushedBytes;

    public override long UnflushedBytes => body.Target.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0) => body.Target.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => body.Target.GetSpan(sizeHint);

    public override void Advance(int bytes) => body.Target.Advance(bytes);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => body.Target.FlushAsync(cancellationToken);

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        body.Target.WriteAsync(source, cancellationToken);

    public override void CancelPendingFlush() => body.Target.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => body.FinishAsync().GetAwaiter().GetResult();

    public override async ValueTask CompleteAsync(Exception? exception = null) => await body.FinishAsync();
}
