using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Channel;

/// <summary>
/// The persistent connection to one worker (docs/protocol.md), in Kestrel's shape: a duplex multiplexed by request
/// id, with one receive loop that routes frames to their request and never waits for a client, and one send queue
/// that serializes every frame. A WSGI worker thread runs one request at a time and may hold more waiting behind it
/// (pipelining); an ASGI worker runs many, and holds accepted WebSockets beside them as sessions that take no slot
/// (WorkerChannel.Asgi.cs). Requests run in the order they were sent, so the first <see cref="Capacity"/>
/// outstanding ones are the running ones.
/// </summary>
public sealed partial class WorkerChannel : IWorker, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly ILogger _logger;
    private readonly BufferBudget _buffers;
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, WorkerRequest> _requests = new();
    private readonly List<WorkerRequest> _order = new();   // outstanding requests in the order sent; guarded by _lock
    private uint _lastRequestId;
    private int _outstanding;                               // reserved slots: sent requests and reservations
    private long _lastStartedAt;                            // Stopwatch timestamp; 0 while nothing runs
    private long _idleSince = Environment.TickCount64;
    private long _requestsServed;
    private volatile bool _accepting;
    private volatile bool _broken;
    private volatile bool _exited;                          // its process is gone; what it wrote is still being read
    private volatile bool _timedOut;
    private volatile bool _retireRequested;
    private volatile bool _dueForReplacement;
    private int _retiredSignalled;
    private Task? _receiveLoop;

    public WorkerChannel(Socket socket, string workerName, ILogger logger, BufferBudget buffers)
    {
        _socket = socket;
        _input = PipeReader.Create(new NetworkStream(socket, ownsSocket: true), new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        Name = workerName;
        _logger = logger;
        _buffers = buffers;
    }

    /// <summary>"worker 3 (pid 1234)", for log lines.</summary>
    public string Name { get; set; }

    /// <summary>Set with the name once the worker's HELLO was accepted.</summary>
    public int WorkerId { get; set; }

    /// <summary>Requests the worker runs at once; set before <see cref="StartServing"/>, from what READY says.</summary>
    public int Capacity { get; set; } = 1;

    public int PipelineDepth { get; set; }

    /// <summary>Set by the arbiter once the worker is to be replaced (--max-requests): nothing is pipelined onto it.</summary>
    public bool IsDueForReplacement
    {
        get => _dueForReplacement;
        set => _dueForReplacement = value;
    }

    public bool IsAccepting => _accepting && IsUsable && !_retireRequested;

    /// <summary>False once the worker died (its process exited, or its channel ended), broke the protocol or timed out.</summary>
    public bool IsUsable => !_broken && !_exited;

    public int Outstanding => Volatile.Read(ref _outstanding);

    public long LastStartedAt => Volatile.Read(ref _lastStartedAt);

    public Action<IWorker>? SlotFreed { get; set; }

    /// <summary>Told once, when a retiring channel has no request left: it may be closed now.</summary>
    public Action<WorkerChannel>? Retired { get; set; }

    /// <summary>Told when the worker says it takes no more requests (RETIRING), with its reason.</summary>
    public Action<WorkerChannel, string>? RetireAnnounced { get; set; }

    /// <summary>Requests this channel finished, for --max-requests.</summary>
    public long RequestsServed => Interlocked.Read(ref _requestsServed);

    /// <summary>Since when (TickCount64) the channel has been idle; null while it has requests or open WebSockets.</summary>
    public long? IdleSince => Volatile.Read(ref _outstanding) > 0 || Volatile.Read(ref _sessionCount) > 0 ? null : Volatile.Read(ref _idleSince);

    /// <summary>How long the longest-running request has run, or null when none runs. Read by the timeout check.</summary>
    public TimeSpan? CurrentRequestAge
    {
        get
        {
            lock (_lock)
            {
                long oldest = _order.Take(Capacity).Select(r => r.StartedAt).Where(t => t != 0).DefaultIfEmpty(0).Min();
                return oldest == 0 ? null : Stopwatch.GetElapsedTime(oldest);
            }
        }
    }

    /// <summary>The longest-running request as "GET /path", or null when none runs.</summary>
    public string? DescribeCurrentRequest()
    {
        lock (_lock)
        {
            return _order.Take(Capacity).Where(r => r.StartedAt != 0).OrderBy(r => r.StartedAt).FirstOrDefault()?.Exchange.Describe();
        }
    }

    /// <summary>Starts the receive loop: the worker is ready, requests may come.</summary>
    public void StartServing()
    {
        _receiveLoop = ReceiveLoopAsync();
        _accepting = true;
    }

    public bool TryReserve(int limit)
    {
        while (true)
        {
            int current = Volatile.Read(ref _outstanding);
            if (current >= limit || !IsAccepting)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _outstanding, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void CancelReservation()
    {
        Interlocked.Decrement(ref _outstanding);
        TrySignalRetired();
    }

    public async ValueTask<DispatchOutcome> RunAsync(IWorkerExchange exchange, RequestBody body, DispatchPolicy policy)
    {
        var request = new WorkerRequest(this, Interlocked.Increment(ref _lastRequestId), exchange, body, policy, _buffers, _logger);
        FrameBuffer frames = BuildRequestFrames(request);
        bool drain;
        lock (_lock)
        {
            if (!IsUsable || _retireRequested)
            {
                // Retired or died between the reservation and now: the pool runs it elsewhere.
                RecycleUnsent(frames);
                Interlocked.Decrement(ref _outstanding);
                TrySignalRetired();
                return DispatchOutcome.NotStarted;
            }
            _requests.Add(request.Id, request);
            _order.Add(request);
            if (_order.Count <= Capacity)
            {
                MarkStarted(request);
            }
            // Queued in the same step as it joins _order: the worker runs requests in the order their REQUESTs
            // arrive, and _order must be that order, or a worker's death would fail a request that waited and give
            // back the one that ran (which then runs a second time elsewhere).
            drain = Enqueue(frames);
        }
        if (drain)
        {
            _ = DrainSendQueueAsync();
        }
        using (exchange.ClientAborted.UnsafeRegister(static state => ((WorkerRequest)state!).OnClientAborted(), request))
        {
            return await request.PumpAsync();
        }
    }

    private void MarkStarted(WorkerRequest request)
    {
        long now = Stopwatch.GetTimestamp();
        request.StartedAt = now;
        Volatile.Write(ref _lastStartedAt, now);
    }

    /// <summary>A request left the channel (ended, given back, or failed): the next waiting one starts. A WebSocket
    /// session held no slot.</summary>
    private bool Remove(WorkerRequest request, bool served)
    {
        bool heldSlot;
        lock (_lock)
        {
            if (!_requests.Remove(request.Id))
            {
                return false;
            }
            heldSlot = !_sessions.Remove(request);
            if (heldSlot)
            {
                int index = _order.IndexOf(request);
                _order.RemoveAt(index);
                if (index < Capacity && _order.Count >= Capacity)
                {
                    MarkStarted(_order[Capacity - 1]);
                }
            }
            else
            {
                Volatile.Write(ref _sessionCount, _sessions.Count);
            }
            if (_order.Count == 0)
            {
                Volatile.Write(ref _lastStartedAt, 0);
                Volatile.Write(ref _idleSince, Environment.TickCount64);
            }
            if (served)
            {
                Interlocked.Increment(ref _requestsServed);
            }
        }
        if (heldSlot)
        {
            Interlocked.Decrement(ref _outstanding);
        }
        return true;
    }

    /// <summary>
    /// Stops handing this channel new requests and gives back those waiting in the worker (RECALL), so they run
    /// elsewhere; <see cref="Retired"/> is told once the running ones are done. A retire never fails a request.
    /// </summary>
    public void RequestRetire()
    {
        _retireRequested = true;
        bool anyWaiting;
        lock (_lock)
        {
            anyWaiting = _order.Count > Capacity;
        }
        if (anyWaiting && IsUsable)
        {
            SendFrame(FrameType.Recall, 0, 0, []);
        }
        TrySignalRetired();
    }

    public bool TryRecallWaiting()
    {
        WorkerRequest? newest = null;
        lock (_lock)
        {
            for (int i = _order.Count - 1; i >= Capacity; i--)
            {
                if (!_order[i].Recalled)
                {
                    newest = _order[i];
                    newest.Recalled = true;
                    break;
                }
            }
        }
        if (newest is null || !IsUsable)
        {
            return false;
        }
        SendFrame(FrameType.Recall, newest.Id, 0, []);
        return true;
    }

    private void TrySignalRetired()
    {
        if ((_retireRequested || _broken) && Volatile.Read(ref _outstanding) == 0 && Volatile.Read(ref _sessionCount) == 0
            && Interlocked.Exchange(ref _retiredSignalled, 1) == 0)
        {
            Retired?.Invoke(this);
        }
    }

    /// <summary>
    /// Gives up on the running request: it gets <see cref="DispatchOutcome.Timeout"/> now; requests waiting behind it
    /// run elsewhere. The channel is never used again (the arbiter kills the worker).
    /// </summary>
    public void AbandonForTimeout()
    {
        _timedOut = true;
        FailAll(DispatchOutcome.Timeout);
        _input.CancelPendingRead();
    }

    /// <summary>
    /// Marks the channel dead, for a worker whose process exited: its requests fail (502) or run elsewhere. What the
    /// worker wrote before it died may still wait in the socket — the end of a response it finished just before it
    /// began the request that killed it — so the receive loop reads on to the end of file first: the request that
    /// ran fails, the one that finished is answered, and only those that never started run elsewhere. Deciding at
    /// once would take the finished one for the running one, fail it, and run the killer a second time.
    /// </summary>
    public void MarkBroken()
    {
        _exited = true;
        if (_receiveLoop is null)
        {
            FailAll(DispatchOutcome.WorkerDied);
            return;
        }
        _ = FailOnceReadToTheEndAsync(_receiveLoop);
    }

    // The end of file comes at once unless a process the app forked still holds the worker's socket.
    private static readonly TimeSpan ExitReadLimit = TimeSpan.FromMilliseconds(500);

    private async Task FailOnceReadToTheEndAsync(Task receiveLoop)
    {
        try
        {
            await receiveLoop.WaitAsync(ExitReadLimit);
        }
        catch (TimeoutException)
        {
            _input.CancelPendingRead();
        }
        FailAll(DispatchOutcome.WorkerDied);   // nothing left to do if the loop's end did it
    }

    /// <summary>
    /// Fails the running requests with <paramref name="outcome"/>; the waiting ones never started and go back to the
    /// pool. Decided in one step under the lock: the worker's death may be seen twice at once (its channel's end of
    /// file, its process exit), and neither may take a waiting request for a running one.
    /// </summary>
    private void FailAll(DispatchOutcome outcome)
    {
        _broken = true;
        var failed = new List<(WorkerRequest Request, bool Running)>();
        int slots;
        lock (_lock)
        {
            for (int i = 0; i < _order.Count; i++)
            {
                failed.Add((_order[i], i < Capacity && _order[i].StartedAt != 0));
            }
            slots = _order.Count;
            foreach (WorkerRequest session in _sessions)
            {
                failed.Add((session, true));
            }
            _order.Clear();
            _sessions.Clear();
            Volatile.Write(ref _sessionCount, 0);
            _requests.Clear();
            Volatile.Write(ref _lastStartedAt, 0);
            Volatile.Write(ref _idleSince, Environment.TickCount64);
        }
        Interlocked.Add(ref _outstanding, -slots);
        foreach (var (request, running) in failed)
        {
            request.Fail(running ? outcome : DispatchOutcome.NotStarted);
        }
        TrySignalRetired();
    }

    public async ValueTask DisposeAsync()
    {
        FailAll(DispatchOutcome.WorkerDied);
        _input.CancelPendingRead();
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
        await _input.CompleteAsync();
        _socket.Dispose();
    }
}
