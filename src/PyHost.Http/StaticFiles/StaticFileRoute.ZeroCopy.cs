using Microsoft.AspNetCore.Http;
using Microsoft.Win32.SafeHandles;
using PyHost.Http.ZeroCopy;

namespace PyHost.Http.StaticFiles;

/// <summary>Sending a file's range with sendfile(2), on connections that can (plaintext HTTP/1.x).</summary>
public sealed partial class StaticFileRoute
{
    /// <summary>The connection's zero-copy output when this response may use it, else null.</summary>
    private static IZeroCopyFileFeature? ZeroCopyFor(HttpContext context, StaticFileOptions options, ByteRange range) =>
        options.SendFile ? ZeroCopyResponse.OutputFor(context, range.Length) : null;

    /// <summary>The range by the connection's zero-copy output (<see cref="ZeroCopyResponse.SendAsync"/>); written
    /// instead when the response turns out to be compressed on the fly.</summary>
    private static async Task<long> SendZeroCopyAsync(HttpContext context, IZeroCopyFileFeature zeroCopy, SafeFileHandle handle, ByteRange range)
    {
        if (await ZeroCopyResponse.SendAsync(context, zeroCopy, handle, range.Start, range.Length, SentFileSource.StaticRoute) is { } sent)
        {
            return sent;
        }
        long copied = await WriteRangeAsync(context, context.Response.BodyWriter, handle, range);
        if (copied == range.Length)
        {
            await FlushAsync(context, context.Response.BodyWriter);
        }
        return copied;
    }
}
