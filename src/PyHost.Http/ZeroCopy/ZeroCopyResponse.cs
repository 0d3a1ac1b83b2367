using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;
using PyHost.Http.Compression;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// A response body that is a region of a file, sent by the connection's zero-copy output: which responses may, and the
/// sending itself. One core for the static routes' files and the files ASGI apps name with <c>http.response.pathsend</c>.
/// </summary>
internal static class ZeroCopyResponse
{
    /// <summary>
    /// Below this the copy path costs less: headers and body leave in one send(2), where sendfile needs a send for the
    /// headers, a sendfile(2) and a thread hop to finish. Measured (AOT, front CPU per request, loopback): 4 KiB 27.7
    /// µs by sendfile vs 23.4 copied, 16 KiB 28.4 vs 28.8, 32 KiB 29.9 vs 33.8, 64 KiB 32.9 vs 47.9.
    /// </summary>
    public const long MinimumBytes = 32 * 1024;

    /// <summary>Whether a body of <paramref name="length"/> bytes is one to send by sendfile(2) on this request's
    /// protocol: HTTP/1.x (HTTP/2 frames every byte itself), and large enough to be worth it. Not for a status that has
    /// no body (RFC 9110 §15.3.5, §15.4.5), whose bytes Kestrel refuses: a file queued for them would never be sent.</summary>
    public static bool Suits(HttpContext context, long length)
    {
        if (length < MinimumBytes || context.Response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return false;
        }
        string protocol = context.Request.Protocol;
        return HttpProtocol.IsHttp11(protocol) || HttpProtocol.IsHttp10(protocol);
    }

    /// <summary>The connection's zero-copy output when the body suits it and the connection has one, else null.</summary>
    public static IZeroCopyFileFeature? OutputFor(HttpContext context, long length) =>
        Suits(context, length) ? context.Features.Get<IZeroCopyFileFeature>() : null;

    /// <summary>
    /// Starts the response and flushes its head (if that was not done yet), queues the region as a file segment at that
    /// place in the connection's output, then advances as many bytes through the body without writing them, so that
    /// Kestrel's Content-Length count is right; the connection's send loop puts the file in their place. Returns the
    /// bytes of the file that reached the socket (fewer when the client left), or null, having sent no byte of the body,
    /// when the response is compressed on the fly: the encoder must see the bytes, so the caller writes them. The file's
    /// handle is in use until the segment is sent: this returns only then, and the caller keeps the handle open until it
    /// returns.
    /// </summary>
    public static async Task<long?> SendAsync(HttpContext context, IZeroCopyFileFeature output, SafeFileHandle file, long offset,
        long length, SentFileSource source)
    {
        CancellationToken aborted = context.RequestAborted;
        PipeWriter body = context.Response.BodyWriter;
        try
        {
            await context.Response.StartAsync(aborted);
            FlushResult headers = await body.FlushAsync(aborted);
            if (headers.IsCompleted || headers.IsCanceled)
            {
                return 0;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            return 0;
        }
        // Decided when the response started (ResponseCompressionMiddleware), which it now has.
        if (context.Features.Get<IResponseCompressionFeature>()?.EncodesBody == true)
        {
            return null;
        }
        Task<long> sent = output.QueueFile(file, offset, length, source);
        for (long left = length; left > 0;)
        {
            Memory<byte> placeOfFile = body.GetMemory();
            int count = (int)Math.Min(placeOfFile.Length, left);
            body.Advance(count);
            left -= count;
        }
        try
        {
            await body.FlushAsync(aborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away: the segment completes with what reached it.
        }
        return await sent;
    }
}
