namespace PyHost.Http.Compression;

/// <summary>
/// The body stream a compressing request's handler sees (error pages and anything else that writes to
/// HttpResponse.Body): writes go through <see cref="DecidingPipeWriter"/>'s target. As Kestrel's own response
/// stream does, each write is flushed, so data written through the stream is never held back.
/// </summary>
internal sealed class DecidingStream(CompressedResponseBody body) : WriteOnlyStream
{
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        await body.Target.WriteAsync(buffer, cancellationToken);

    public override async Task FlushAsync(CancellationToken cancellationToken) => await body.Target.FlushAsync(cancellationToken);
}
