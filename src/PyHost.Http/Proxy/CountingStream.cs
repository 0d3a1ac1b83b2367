namespace PyHost.Http.Proxy;

/// <summary>
/// The client's response body, counting what is written to it: the access log's byte count. On the proxy's hot path:
/// every write it overrides goes straight to the inner stream (no hop through the base class's WriteAsync), and the
/// synchronous ones stay synchronous.
/// </summary>
internal sealed class CountingStream(Stream inner) : WriteOnlyStream
{
    public long Written { get; private set; }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Written += count;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Written += buffer.Length;
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
