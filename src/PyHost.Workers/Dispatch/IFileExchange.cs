using Microsoft.Win32.SafeHandles;

namespace PyHost.Workers.Dispatch;

/// <summary>
/// A listener that can send a file as a response body without copying it through the front (HTTP: sendfile(2) on a
/// plaintext HTTP/1.1 connection), beside <see cref="IWorkerExchange"/>; for ASGI <c>http.response.pathsend</c>. A
/// listener without it, or a response it declines, gets the file copied through <see cref="IWorkerExchange.WriteBody"/>.
/// </summary>
public interface IFileExchange
{
    /// <summary>
    /// Sends the first <paramref name="length"/> bytes of <paramref name="file"/> as the whole body, after the head
    /// (already flushed); returns the bytes that reached the client (fewer when it left), or null when this response
    /// cannot go that way and nothing of the body was sent: the caller then copies the file. The file stays open until
    /// this completes.
    /// </summary>
    ValueTask<long?> TrySendFileAsync(SafeFileHandle file, long length);
}
