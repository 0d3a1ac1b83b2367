using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// One plaintext connection's output, sent by a loop of its own instead of Kestrel's socket transport (which only
/// knows buffers): the bytes Kestrel writes, and between them the files a response queued, each sent with
/// sendfile(2) at its place in the stream. The input stays Kestrel's. Kestrel's transport output is completed only
/// after everything queued was sent, so that its socket connection then shuts down cleanly as it always does.
/// </summary>
internal sealed partial class ZeroCopyConnection : IDuplexPipe, IZeroCopyFileFeature
{
    // As Kestrel's socket transport (MaxWriteBufferSize): 64 KiB may wait unsent before a writer's flush waits.
    private const long PauseWriterBytes = 64 * 1024;

    private readonly Pipe _pipe;
    private readonly ZeroCopyOutput _output;
    private readonly Socket _socket;
    private readonly IDuplexPipe _transport;
    private readonly Action<Exception> _abort;
    private readonly CancellationToken _connectionClosed;
    private Task _sending = Task.CompletedTask;

    /// <param name="transport">Kestrel's transport: its input is kept, its output completed at the end.</param>
    /// <param name="abort">Ends the connection when the socket fails under the send loop.</param>
    /// <param name="connectionClosed">Fires when the connection has ended: a wait for room in the socket's buffer ends too.</param>
    public ZeroCopyConnection(IDuplexPipe transport, Socket socket, MemoryPool<byte>? pool, Action<Exception> abort,
        CancellationToken connectionClosed)
    {
        _connectionClosed = connectionClosed;
        _transport = transport;
        _socket = socket;
        _abort = abort;
        // Inline on both sides, as the connection's own pipes (ClientSocketConnection): a response's flush sends it
        // on the thread that wrote it.
        _pipe = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline,
            pauseWriterThreshold: PauseWriterBytes, resumeWriterThreshold: PauseWriterBytes / 2, useSynchronizationContext: false));
        _output = new ZeroCopyOutput(_pipe.Writer);
    }

    public PipeReader Input => _transport.Input;

    public PipeWriter Output => _output;

    public void Start() => _sending = SendLoopAsync();

    public Task<long> QueueFile(SafeFileHandle file, long offset, long length, SentFileSource source)
    {
        FileSegment segment = _output.Queue(file, offset, length, source);
        // The loop may be waiting for bytes that will not come before the file: let it look at the queue.
        _pipe.Reader.CancelPendingRead();
        return segment.Done;
    }

    /// <summary>After Kestrel is done with the connection: sends what is left, then hands the end to Kestrel's transport.</summary>
    public async Task FinishAsync()
    {
        _output.Complete();
        await _sending;
        _transport.Output.Complete();
    }
}
