using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PyHost.Protocol;
using PyHost.Workers.Channel;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Tests.Dispatch;

namespace PyHost.Workers.Tests.Channel;

/// <summary>A real channel over a real Unix socket, whose worker end the test plays frame by frame.</summary>
internal sealed class ChannelHarness : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _directory;
    private readonly Socket _worker;
    private byte[] _pending = [];

    private ChannelHarness(string directory, Socket worker, WorkerChannel channel, BufferBudget budget)
    {
        _directory = directory;
        _worker = worker;
        Channel = channel;
        Budget = budget;
    }

    public WorkerChannel Channel { get; }

    public BufferBudget Budget { get; }

    /// <summary>A channel serving already, unless <paramref name="serve"/> is false (the test calls StartServing).</summary>
    public static async Task<ChannelHarness> StartAsync(int pipelineDepth = 0, int capacity = 1, ILogger? logger = null, bool serve = true)
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-channel-tests-").FullName;
        string path = Path.Combine(directory, "workers.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var worker = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await worker.ConnectAsync(new UnixDomainSocketEndPoint(path));
        Socket front = await listener.AcceptAsync();
        BufferBudget budget = Budgets.Create(directory);
        var channel = new WorkerChannel(front, "worker 1", logger ?? NullLogger.Instance, budget) { Capacity = capacity, PipelineDepth = pipelineDepth };
        if (serve)
        {
            channel.StartServing();
        }
        return new ChannelHarness(directory, worker, channel, budget);
    }

    /// <summary>Reserves a slot as the pool would, then runs the request.</summary>
    public Task<DispatchOutcome> RunAsync(IWorkerExchange exchange, RequestBody? body = null, DispatchPolicy? policy = null)
    {
        Assert.True(Channel.TryReserve(Channel.Capacity + Channel.PipelineDepth), "no slot left on the channel");
        return Channel.RunAsync(exchange, body ?? RequestBody.None, policy ?? DispatchPolicy.Default).AsTask();
    }

    /// <summary>Two requests, the second pipelined behind the first; returns once the worker end has read both
    /// REQUESTs, with their ids.</summary>
    public async Task<(Task<DispatchOutcome> First, uint FirstId, Task<DispatchOutcome> Second, uint SecondId)> RunTwoAsync(string first, string second)
    {
        Task<DispatchOutcome> firstRun = RunAsync(new RecordingExchange(first));
        Task<DispatchOutcome> secondRun = RunAsync(new RecordingExchange(second));
        var (firstRequest, _) = await ExpectAsync(FrameType.Request);
        var (secondRequest, _) = await ExpectAsync(FrameType.Request);
        return (firstRun, firstRequest.RequestId, secondRun, secondRequest.RequestId);
    }

    public async Task SendAsync(FrameType type, uint requestId, byte flags = 0, byte[]? payload = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        FrameWriter.Write(buffer, type, requestId, flags, payload ?? []);
        await _worker.SendAsync(buffer.WrittenMemory);
    }

    /// <summary>Several frames in one write, so that they arrive in one read.</summary>
    public async Task SendTogetherAsync(params (FrameType Type, uint RequestId, byte[] Payload)[] frames)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (type, requestId, payload) in frames)
        {
            FrameWriter.Write(buffer, type, requestId, 0, payload);
        }
        await _worker.SendAsync(buffer.WrittenMemory);
    }

    public Task SendStartAsync(uint requestId, string head = "200 OK\0Content-Type\0text/plain") =>
        SendAsync(FrameType.ResponseStart, requestId, 0, Encoding.Latin1.GetBytes(head));

    public Task SendBodyAsync(uint requestId, byte[] chunk) => SendAsync(FrameType.ResponseBody, requestId, 0, chunk);

    public Task SendEndAsync(uint requestId, byte flags = 0) => SendAsync(FrameType.ResponseEnd, requestId, flags);

    /// <summary>The next frame the channel sent to the worker.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? Patience);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_pending);
            if (FrameReader.TryRead(ref sequence, out FrameHeader header, out ReadOnlySequence<byte> payload))
            {
                byte[] copy = payload.ToArray();
                _pending = sequence.ToArray();
                return (header, copy);
            }
            byte[] chunk = new byte[1 << 20];
            int read = await _worker.ReceiveAsync(chunk, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException("the channel closed its end");
            }
            _pending = [.. _pending, .. chunk.AsSpan(0, read)];
        }
    }

    /// <summary>Null when no frame comes within the time given.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)?> TryReadFrameAsync(TimeSpan within)
    {
        try
        {
            return await ReadFrameAsync(within);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async Task<(FrameHeader Header, byte[] Payload)> ExpectAsync(FrameType type)
    {
        var frame = await ReadFrameAsync();
        Assert.Equal(type, frame.Header.Type);
        return frame;
    }

    /// <summary>Reads CREDIT frames for the request until at least <paramref name="bytes"/> were granted.</summary>
    public async Task AwaitCreditAsync(uint requestId, long bytes)
    {
        long granted = 0;
        while (granted < bytes)
        {
            var (header, payload) = await ExpectAsync(FrameType.Credit);
            Assert.Equal(requestId, header.RequestId);
            granted += BinaryPrimitives.ReadUInt32LittleEndian(payload);
        }
    }

    public void CloseWorkerEnd() => _worker.Shutdown(SocketShutdown.Both);

    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        _worker.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A client as the channel sees it: records the response; its flushes can be held, as a slow reader's are.</summary>
internal sealed class RecordingExchange(string target = "GET /", bool head = false) : IWorkerExchange
{
    private readonly CancellationTokenSource _aborted = new();
    private readonly MemoryStream _body = new();
    private TaskCompletionSource? _flushGate;

    public RequestBodyInfo Body { get; init; } = RequestBodyInfo.None;
    public bool IsHeadRequest { get; } = head;
    public CancellationToken ClientAborted => _aborted.Token;
    public ResponseHead? Head { get; private set; }
    public int Flushes { get; private set; }
    public byte[] BodyBytes => _body.ToArray();

    /// <summary>Flushes wait from now on until <see cref="ReleaseFlushes"/>.</summary>
    public void HoldFlushes() => _flushGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ReleaseFlushes() => _flushGate?.TrySetResult();

    public void Abort() => _aborted.Cancel();

    public void WriteEnviron(IBufferWriter<byte> output, long? bufferedBodyLength)
    {
        output.Write(Encoding.ASCII.GetBytes($"{target}|{bufferedBodyLength}"));
    }

    public ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes) => ValueTask.FromResult(0);

    public void StartResponse(ResponseHead head) => Head = head;

    public void WriteBody(ReadOnlySpan<byte> chunk) => _body.Write(chunk);

    public async ValueTask<bool> FlushAsync()
    {
        Flushes++;
        if (_flushGate is { } gate)
        {
            await gate.Task;
        }
        return !_aborted.IsCancellationRequested;
    }

    public string Describe() => target;
}
