using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Proxy;

/// <summary>
/// A small request body with a Content-Length, read whole from the client before the request goes to a server, as
/// nginx's <c>proxy_request_buffering</c> does: a slow client then holds no upstream connection, the own HTTP/1.1
/// client sends head and body in one write, and an idempotent request can go again, body and all, to another server.
/// Larger bodies and chunked ones stream through YARP with back-pressure instead.
/// </summary>
public sealed class BufferedRequestBody : IDisposable
{
    /// <summary>The largest body read ahead (nginx's client_body_buffer_size is 8–16 KiB; a form post or a JSON call
    /// fits in 64).</summary>
    public const int MaxBytes = 64 * 1024;

    private byte[]? _bytes;

    private BufferedRequestBody(byte[] bytes, int length)
    {
        _bytes = bytes;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Bytes => (_bytes ?? throw new ObjectDisposedException(nameof(BufferedRequestBody))).AsMemory(0, Length);

    /// <summary>Whether the request's body is one to read ahead: a length of at most <see cref="MaxBytes"/>, no
    /// transfer coding, not an Upgrade or CONNECT (whose "body" is a tunnel).</summary>
    public static bool Fits(HttpRequest request) => request.ContentLength is > 0 and <= MaxBytes
        && !request.Headers.ContainsKey("Transfer-Encoding") && !ProxyRoute.IsTunnel(request);

    /// <summary>Reads the whole body. Kestrel throws <see cref="BadHttpRequestException"/> (400 for a body cut short,
    /// 408 for one too slow) and an <see cref="IOException"/> or cancellation when the client leaves.</summary>
    public static async ValueTask<BufferedRequestBody> ReadAsync(HttpRequest request)
    {
        int length = (int)request.ContentLength!.Value;
        byte[] bytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            for (int read = 0; read < length;)
            {
                int got = await request.Body.ReadAsync(bytes.AsMemory(read, length - read), request.HttpContext.RequestAborted);
                if (got == 0)
                {
                    throw new BadHttpRequestException("The request body ended before its Content-Length.", StatusCodes.Status400BadRequest);
                }
                read += got;
            }
            return new BufferedRequestBody(bytes, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(bytes);
            throw;
        }
    }

    /// <summary>A fresh stream over the bytes, for a forwarder that reads <see cref="HttpRequest.Body"/> (YARP).</summary>
    public Stream OpenRead() => new MemoryStream(_bytes ?? throw new ObjectDisposedException(nameof(BufferedRequestBody)), 0, Length, writable: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _bytes, null) is { } bytes)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
