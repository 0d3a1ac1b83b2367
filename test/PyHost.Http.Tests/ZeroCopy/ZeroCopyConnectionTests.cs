using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using PyHost.Http.Tests.Infrastructure;
using PyHost.Http.ZeroCopy;

namespace PyHost.Http.Tests.ZeroCopy;

/// <summary>
/// The zero-copy output over a real TCP connection on the loopback: what the peer receives is the bytes and the files
/// in the order they were written, however slowly it reads, and a peer that goes away ends the send cleanly.
/// </summary>
public sealed class ZeroCopyConnectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly string _path = Path.GetTempFileName();
    private readonly byte[] _content = new byte[8 * 1024 * 1024];
    private readonly List<Exception> _aborts = [];
    private readonly CancellationTokenSource _closed = new();
    private Socket _server = null!;
    private Socket _client = null!;
    private SafeFileHandle _file = null!;
    private ZeroCopyConnection _connection = null!;

    public async Task InitializeAsync()
    {
        new Random(12).NextBytes(_content);
        await File.WriteAllBytesAsync(_path, _content);
        _file = File.OpenHandle(_path);
        (_server, _client) = await LoopbackPair.OpenAsync();
        // A small send buffer, so that the kernel soon says "full" (EAGAIN) and the waiting path runs.
        _server.SendBufferSize = 16 * 1024;
        // As under Kestrel, whose receive loop is always waiting: the descriptor is in non-blocking mode.
        _ = _server.ReceiveAsync(new byte[1], SocketFlags.None).ContinueWith(_ => { }, TaskScheduler.Default);
        var transport = new NoTransport();
        _connection = new ZeroCopyConnection(transport, _server, pool: null, error => { lock (_aborts) { _aborts.Add(error); } }, _closed.Token);
        _connection.Start();
    }

    public Task DisposeAsync()
    {
        _closed.Cancel();
        _client.Dispose();
        _server.Dispose();
        _file.Dispose();
        File.Delete(_path);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task BytesAndFilesReachThePeerInTheOrderTheyWereWritten()
    {
        PipeWriter output = _connection.Output;
        var expected = new MemoryStream();
        Write(output, expected, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"u8);
        await output.FlushAsync();
        Task<long> first = QueueAndAdvance(output, expected, offset: 10, length: 100_000);
        Write(output, expected, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"u8);
        Task<long> second = QueueAndAdvance(output, expected, offset: 3_000_000, length: 2_000_000);
        Task<long> third = QueueAndAdvance(output, expected, offset: 0, length: 7);   // right after another file
        Write(output, expected, "tail"u8);
        Task<FlushResult> flushing = output.FlushAsync().AsTask();

        byte[] received = await ReceiveAsync(expected.Length);
        Assert.True((await flushing.WaitAsync(Deadline)) is { IsCompleted: false, IsCanceled: false });
        Assert.Equal(expected.ToArray(), received);
        Assert.Equal(100_000, await first);
        Assert.Equal(2_000_000, await second);
        Assert.Equal(7, await third);
        Assert.Equal(2_100_007, _connection.SentByZeroCopy + _connection.SentByCopy);
        Assert.True(_connection.SentByZeroCopy > 0, "nothing went out by sendfile(2)");
        // Files go out in pieces: the socket takes more only when less than 64 KiB waits unsent (TCP_NOTSENT_LOWAT).
        var lowWater = new byte[sizeof(int)];
        Assert.Equal(sizeof(int), _server.GetRawSocketOption((int)SocketOptionLevel.Tcp, 25, lowWater));
        Assert.Equal(64 * 1024, BitConverter.ToInt32(lowWater));

        await _connection.FinishAsync().WaitAsync(Deadline);
        Assert.Empty(_aborts);
    }

    [Fact]
    public async Task APeerThatReadsSlowlyGetsEveryByteAndTheFlushWaitsForIt()
    {
        PipeWriter output = _connection.Output;
        var expected = new MemoryStream();
        Write(output, expected, "head"u8);
        Task<long> sent = QueueAndAdvance(output, expected, offset: 0, length: _content.Length);
        Task<FlushResult> flushing = output.FlushAsync().AsTask();

        // The peer reads nothing yet: most of the file cannot have left, and the writer must not be told it has.
        await Task.Delay(300);
        Assert.False(flushing.IsCompleted, "the flush completed while megabytes were still unsent");

        var received = new MemoryStream();
        var piece = new byte[4096];
        while (received.Length < expected.Length)
        {
            int read = await _client.ReceiveAsync(piece, SocketFlags.None).WaitAsync(Deadline);
            Assert.True(read > 0, "the connection ended early");
            received.Write(piece, 0, read);
            if (received.Length % (512 * 1024) < 4096)
            {
                await Task.Delay(20);   // pauses, so the sender finds the socket full again and again
            }
        }
        Assert.Equal(expected.ToArray(), received.ToArray());
        Assert.Equal(_content.Length, await sent.WaitAsync(Deadline));
        Assert.False((await flushing.WaitAsync(Deadline)).IsCompleted);
        Assert.True(_connection.WaitsForRoom > 0, "the socket was never full: the waiting path did not run");
        Assert.Equal(_content.Length, _connection.SentByZeroCopy);   // waiting sends nothing of its own
        Assert.Equal(0, _connection.SentByCopy);
    }

    [Fact]
    public async Task APeerThatGoesAwayEndsTheSendAndTheConnection()
    {
        PipeWriter output = _connection.Output;
        var expected = new MemoryStream();
        Task<long> sent = QueueAndAdvance(output, expected, offset: 0, length: _content.Length);
        Task<FlushResult> flushing = output.FlushAsync().AsTask();

        await ReceiveAsync(1024 * 1024);
        _client.LingerState = new LingerOption(true, 0);   // close with a reset, as a client that crashed
        _client.Close();

        long partly = await sent.WaitAsync(Deadline);
        Assert.InRange(partly, 1024 * 1024, _content.Length - 1);
        Assert.True((await flushing.WaitAsync(Deadline)).IsCompleted, "the writer was not told the connection is gone");
        await _connection.FinishAsync().WaitAsync(Deadline);
        Assert.NotEmpty(_aborts);
    }

    [Fact]
    public async Task AConnectionThatEndsWhileTheSendWaitsForRoomEndsTheSend()
    {
        PipeWriter output = _connection.Output;
        var expected = new MemoryStream();
        Task<long> sent = QueueAndAdvance(output, expected, offset: 0, length: _content.Length);
        Task<FlushResult> flushing = output.FlushAsync().AsTask();

        // The peer reads nothing: the socket fills, and the send loop waits for room that never comes.
        await WaitUntilAsync(() => _connection.WaitsForRoom > 0);
        Assert.False(sent.IsCompleted);
        _closed.Cancel();   // what the connection's end (a timeout, the server's shutdown) does

        long partly = await sent.WaitAsync(Deadline);
        Assert.InRange(partly, 1, _content.Length - 1);
        Assert.True((await flushing.WaitAsync(Deadline)).IsCompleted, "the writer was not told the connection is gone");
        await _connection.FinishAsync().WaitAsync(Deadline);
        Assert.Contains(_aborts, error => error is OperationCanceledException);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never became true");
            await Task.Delay(10);
        }
    }

    private Task<long> QueueAndAdvance(PipeWriter output, MemoryStream expected, long offset, int length)
    {
        Task<long> sent = _connection.QueueFile(_file, offset, length, SentFileSource.StaticRoute);
        expected.Write(_content, (int)offset, length);
        for (int left = length; left > 0;)
        {
            Memory<byte> memory = output.GetMemory();
            int count = Math.Min(memory.Length, left);
            output.Advance(count);
            left -= count;
        }
        return sent;
    }

    private static void Write(PipeWriter output, MemoryStream expected, ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        expected.Write(bytes);
    }

    private async Task<byte[]> ReceiveAsync(long count)
    {
        var received = new byte[count];
        int at = 0;
        while (at < count)
        {
            int read = await _client.ReceiveAsync(received.AsMemory(at), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(read > 0, $"the connection ended after {at} of {count} bytes");
            at += read;
        }
        return received;
    }

    /// <summary>Kestrel's side of the connection, of which the zero-copy output only completes the output.</summary>
    private sealed class NoTransport : IDuplexPipe
    {
        private readonly Pipe _unused = new();

        public PipeReader Input => _unused.Reader;

        public PipeWriter Output => _unused.Writer;
    }
}
