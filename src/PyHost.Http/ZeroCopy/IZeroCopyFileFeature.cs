using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// A connection whose output can carry file regions as well as bytes: the region goes to the socket with sendfile(2),
/// from the page cache, without passing through user space (nginx <c>sendfile on</c>). Present on plaintext
/// connections only (TLS must see the bytes to encrypt them), as a connection feature, so a request finds it through
/// <c>HttpContext.Features</c>.
/// </summary>
public interface IZeroCopyFileFeature
{
    /// <summary>
    /// Makes the next <paramref name="length"/> bytes advanced through the output — after everything already written —
    /// stand for <paramref name="file"/> from <paramref name="offset"/>. The caller then advances that many bytes
    /// through the response body without filling them (Kestrel counts them against Content-Length); they are never
    /// sent. The file must stay open until the returned task completes: with the bytes of the file that reached the
    /// socket (fewer when the connection broke). <paramref name="source"/> says which counter the bytes sent go to.
    /// </summary>
    Task<long> QueueFile(SafeFileHandle file, long offset, long length, SentFileSource source);
}
