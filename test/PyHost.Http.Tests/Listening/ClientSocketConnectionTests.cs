using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging.Abstractions;
using PyHost.Http.Listening;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Listening;

/// <summary>
/// The front's socket transport over a real TCP connection on the loopback: the bytes in both directions, the ends
/// (FIN, reset, abort), and reads that grow with an upload instead of staying at a pool block.
/// </summary>
public sealed class ClientSocketConnectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly MemoryPool<byte> _pool = new SmallBlockPool();
    private Socket _listener = null!;
    private Socket _client = null!;
    private Socket _accepted = null!;

    public async Task InitializeAsync()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Inherited by the accepted socket: room for a whole upload before the transport reads any of it.
        _listener.ReceiveBufferSize = 4 * 1024 * 1024;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connecting = _client.ConnectAsync(_listener.LocalEndPoint!);
        _accepted = await _listener.AcceptAsync();
        await connecting;
    }

    public Task DisposeAsync()
    {
        _client.Dispose();
        _accepted.Dispose();
        _listener.Dispose();
        _pool.Dispose();
        return Task.CompletedTask;
    }

    private ClientSocketConnection Start() => Start(_accepted, _pool);

    /// <summary>The transport over an accepted socket, with room for 1 MiB read and 64 KiB written.</summary>
    internal static ClientSocketConnection Start(Socket accepted, MemoryPool<byte> pool) =>
        ClientSocketConnection.Start(accepted, ClientSocketConnection.PipeOptionsFor(pool, 1024 * 1024, 64 * 1024), NullLogger.Instance);

    [Fact]
    public async Task AnUploadArrivesWholeInAFewLargeReads()
    {
        byte[] upload = new byte[512 * 1024];
        new Random(5).NextBytes(upload);
        await _client.SendAsync(upload, SocketFlags.None);
        _client.Shutdown(SocketShutdown.Send);
        await Eventually.TrueAsync(() => _accepted.Available == upload.Length, Deadline, "the upload is in the server's receive buffer");

        await using ClientSocketConnection connection = Start();
        byte[] received = await ReadToEndAsync(connection.Transport.Input);

        Assert.Equal(upload, received);
        // A pool block at a time (4 KiB here) would be 128 reads; after the first full read, each one takes 64 KiB.
        Assert.InRange(connection.Reads, 1, 16);
    }

    [Fact]
    public async Task WhatTheServerWritesReachesTheClientAndCompletingTheOutputSendsAFin()
    {
        await using ClientSocketConnection connection = Start();
        byte[] response = new byte[300 * 1024];
        new Random(6).NextBytes(response);
        PipeWriter output = connection.Transport.Output;
        // Several pool blocks in one flush: one gathered send.
        for (int at = 0; at < response.Length; at += 1000)
        {
            output.Write(response.AsSpan(at, Math.Min(1000, response.Length - at)));
        }
        Task<FlushResult> flushing = output.FlushAsync().AsTask();
        byte[] received = await ReceiveToEndAsync(afterCompleting: output, flushing);

        Assert.Equal(response, received);
    }

    [Fact]
    public async Task TheClientsFinEndsTheInputAndTheClientsResetFailsIt()
    {
        await using ClientSocketConnection connection = Start();
        await _client.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray(), SocketFlags.None);
        _client.Shutdown(SocketShutdown.Send);

        byte[] received = await ReadToEndAsync(connection.Transport.Input);
        Assert.Equal("GET / HTTP/1.1\r\n"u8.ToArray(), received);

        // A second connection, reset by its client (SO_LINGER 0): the input fails with Kestrel's reset exception.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connecting = client.ConnectAsync(_listener.LocalEndPoint!);
        using Socket accepted = await _listener.AcceptAsync();
        await connecting;
        await using ClientSocketConnection reset = Start(accepted, _pool);
        client.LingerState = new LingerOption(true, 0);
        client.Close();

        await Assert.ThrowsAsync<ConnectionResetException>(async () => await ReadToEndAsync(reset.Transport.Input));
        await Eventually.TrueAsync(() => reset.ConnectionClosed.IsCancellationRequested, Deadline, "ConnectionClosed fired after the reset");
    }

    [Fact]
    public async Task AbortClosesTheSocketAndFiresConnectionClosed()
    {
        await using ClientSocketConnection connection = Start();
        Assert.Same(_accepted, connection.Features.Get<IConnectionSocketFeature>()?.Socket);
        Assert.Same(_pool, connection.Features.Get<IMemoryPoolFeature>()?.MemoryPool);
        Assert.Equal(_client.LocalEndPoint, connection.RemoteEndPoint);
        Task<ReadResult> reading = connection.Transport.Input.ReadAsync().AsTask();

        connection.Abort(new ConnectionAbortedException("test"));

        byte[] buffer = new byte[16];
        Assert.Equal(0, await _client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline));
        await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await reading.WaitAsync(Deadline));
        await Eventually.TrueAsync(() => connection.ConnectionClosed.IsCancellationRequested, Deadline, "ConnectionClosed fired after the abort");
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input)
    {
        var received = new MemoryStream();
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(Deadline);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.ToArray();
            }
        }
    }

    private async Task<byte[]> ReceiveToEndAsync(PipeWriter afterCompleting, Task<FlushResult> flushing)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        bool completed = false;
        while (true)
        {
            int count = await _client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline);
            if (count == 0)
            {
                return received.ToArray();
            }
            received.Write(buffer, 0, count);
            if (!completed && flushing.IsCompleted)
            {
                await flushing;
                await afterCompleting.CompleteAsync();
                completed = true;
            }
        }
    }

    /// <summary>4 KiB blocks, as Kestrel's pool has them.</summary>
    internal sealed class SmallBlockPool : MemoryPool<byte>
    {
        public override int MaxBufferSize => 4096;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => new Block(new byte[4096]);

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory => array;

            public void Dispose()
            {
            }
        }
    }
}

/// <summary>Runs alone: it watches every first-chance exception of the process, which a test running beside it could
/// raise too.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "runs alone";
}

[Collection(AloneCollection.Name)]
public sealed class ClientSocketConnectionCloseTests
{
    [Fact]
    public async Task AConnectionThatEndsAfterItsResponseClosesWithoutAnException()
    {
        // The usual end of a connection: the server completes its output (Connection: close), the client reads to the end
        // and closes. A throw costs a stack unwind (~4 µs in the native build): none of the transport's loops may end
        // with one, as a read pending on a socket closed under it would.
        var thrown = new List<Exception>();
        void Watch(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs args)
        {
            if (args.Exception is SocketException or ObjectDisposedException or OperationCanceledException
                && Environment.StackTrace.Contains(nameof(ClientSocketConnection), StringComparison.Ordinal))
            {
                lock (thrown)
                {
                    thrown.Add(args.Exception);
                }
            }
        }

        (Socket server, Socket client) = await LoopbackPair.OpenAsync();
        using (server)
        using (client)
        using (var pool = new ClientSocketConnectionTests.SmallBlockPool())
        {
            AppDomain.CurrentDomain.FirstChanceException += Watch;
            try
            {
                await using ClientSocketConnection connection = ClientSocketConnectionTests.Start(server, pool);
                PipeWriter output = connection.Transport.Output;
                output.Write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"u8);
                await output.FlushAsync();
                await output.CompleteAsync();

                var received = new MemoryStream();
                byte[] buffer = new byte[1024];
                int count;
                while ((count = await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30))) > 0)
                {
                    received.Write(buffer, 0, count);
                }
                client.Close();
                await Eventually.TrueAsync(() => connection.ConnectionClosed.IsCancellationRequested, TimeSpan.FromSeconds(30),
                    "ConnectionClosed fired after the close");
                await connection.Transport.Input.CompleteAsync();

                Assert.EndsWith("\r\n\r\nok", System.Text.Encoding.ASCII.GetString(received.ToArray()));
            }
            finally
            {
                AppDomain.CurrentDomain.FirstChanceException -= Watch;
            }
        }
        Assert.Empty(thrown);
    }
}
