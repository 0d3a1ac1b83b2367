using System.Net.Sockets;
using PyHost.Http.Tests.Infrastructure;
using PyHost.Http.ZeroCopy;

namespace PyHost.Http.Tests.ZeroCopy;

/// <summary>
/// The wait for room in a socket's send buffer, over a real loopback connection: it ends when the peer makes room, at
/// once when there is room, when the peer goes away, and when the connection's end is signalled; it never sends a byte.
/// </summary>
public sealed class SocketWritableWaitTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private Socket _server = null!;
    private Socket _client = null!;

    public async Task InitializeAsync()
    {
        (_server, _client) = await LoopbackPair.OpenAsync();
        _server.SendBufferSize = 16 * 1024;
        _server.Blocking = false;
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AWaitOnAFullSocketEndsWhenThePeerReadsAndNotBefore()
    {
        long filled = FillSendBuffer();
        using var wait = new SocketWritableWait(_server);

        Task waiting = wait.WaitAsync(CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted, "the wait ended while the socket was still full");

        long received = await DrainAsync(filled);
        await waiting.WaitAsync(Deadline);
        Assert.Equal(filled, received);   // the wait sent nothing of its own
        Assert.True(_server.Send(new byte[1024]) > 0, "the wait ended but the socket still had no room");
    }

    [Fact]
    public async Task TheSameWaitServesOneFullSocketAgainAndAgain()
    {
        using var wait = new SocketWritableWait(_server);
        for (int round = 0; round < 5; round++)
        {
            long filled = FillSendBuffer();
            Task waiting = wait.WaitAsync(CancellationToken.None).AsTask();
            await DrainAsync(filled);
            await waiting.WaitAsync(Deadline);
        }
    }

    [Fact]
    public async Task AWaitOnASocketWithRoomEndsAtOnce()
    {
        using var wait = new SocketWritableWait(_server);
        await wait.WaitAsync(CancellationToken.None).AsTask().WaitAsync(Deadline);
    }

    [Fact]
    public async Task APeerThatGoesAwayEndsTheWaitAndTheNextSendFails()
    {
        FillSendBuffer();
        using var wait = new SocketWritableWait(_server);
        Task waiting = wait.WaitAsync(CancellationToken.None).AsTask();

        _client.LingerState = new LingerOption(true, 0);   // a reset, as a client that crashed
        _client.Close();

        await waiting.WaitAsync(Deadline);
        Assert.Throws<SocketException>(() => _server.Send(new byte[1024]));
    }

    [Fact]
    public async Task TheConnectionsEndEndsTheWait()
    {
        FillSendBuffer();
        using var wait = new SocketWritableWait(_server);
        using var ended = new CancellationTokenSource();
        Task waiting = wait.WaitAsync(ended.Token).AsTask();

        ended.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Deadline));
    }

    /// <summary>Sends until the kernel says the socket's buffer is full (EAGAIN) and stays so: the peer's kernel takes
    /// (and acknowledges) bytes for a while after the first EAGAIN, which frees room on this side without any read.
    /// Returns how many bytes went in.</summary>
    private long FillSendBuffer()
    {
        var chunk = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            long before = total;
            while (true)
            {
                int sent = _server.Send(chunk, 0, chunk.Length, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    break;
                }
                Assert.Equal(SocketError.Success, error);
                total += sent;
            }
            if (total == before && total > 0)
            {
                return total;
            }
            Thread.Sleep(100);
        }
    }

    private async Task<long> DrainAsync(long count)
    {
        var piece = new byte[64 * 1024];
        long received = 0;
        while (received < count)
        {
            int read = await _client.ReceiveAsync(piece, SocketFlags.None).WaitAsync(Deadline);
            Assert.True(read > 0, "the connection ended early");
            received += read;
        }
        return received;
    }
}
