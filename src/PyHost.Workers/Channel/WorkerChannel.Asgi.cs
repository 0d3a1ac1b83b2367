using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

// An ASGI worker's channel: many requests at once, WebSocket sessions beside them, a timeout per request (CANCEL),
// and the worker's own log lines (LOG).
public sealed partial class WorkerChannel
{
    private readonly HashSet<WorkerRequest> _sessions = new();   // accepted WebSockets; guarded by _lock
    private int _sessionCount;
    private bool _asgi;

    /// <summary>The worker runs an ASGI app: requests go as scopes, many at once, each with a timeout of its own.</summary>
    public bool IsAsgi => _asgi;

    /// <summary>The worker may name files for the front to send (<c>http.response.pathsend</c>): false when the workers
    /// run as another user than the front, which must not read files for them.</summary>
    public bool AllowsPathSend { get; set; } = true;

    /// <summary>Open WebSockets: they hold no request slot, yet keep the worker from retiring until they close.</summary>
    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>Before <see cref="StartServing"/>: the worker said READY for an ASGI app; it runs up to
    /// <paramref name="connections"/> requests at once (--worker-connections) and none waits in it.</summary>
    public void ConfigureForAsgi(int connections)
    {
        _asgi = true;
        Capacity = connections;
        PipelineDepth = 0;
    }

    /// <summary>A WebSocket was accepted: it leaves its request slot (an idle socket costs no worker capacity) and
    /// stays on the channel as a session until the app's task ends.</summary>
    internal void OnSessionStarted(WorkerRequest request)
    {
        lock (_lock)
        {
            int index = _order.IndexOf(request);
            if (index < 0)
            {
                return;   // the worker ended or died meanwhile
            }
            _order.RemoveAt(index);
            _sessions.Add(request);
            Volatile.Write(ref _sessionCount, _sessions.Count);
        }
        Interlocked.Decrement(ref _outstanding);
        SlotFreed?.Invoke(this);
    }

    /// <summary>
    /// Closes every open WebSocket with this code (1012 when a retiring worker's graceful time is up, 1001 when the
    /// server stops): the client gets a close frame, the app a <c>websocket.disconnect</c>. Returns how many.
    /// </summary>
    public int CloseSessions(ushort code, string reason)
    {
        WorkerRequest[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions];
        }
        foreach (WorkerRequest session in sessions)
        {
            session.CloseFromFront(code, reason);
        }
        return sessions.Length;
    }

    /// <summary>
    /// The per-request timeout of an ASGI worker: a request (a WebSocket before its handshake included) that made no
    /// progress for <paramref name="timeout"/> gets 504 now and its task a CANCEL, while the worker's other requests
    /// go on. A request waiting for the client to take its bytes is not idle. Returns how long the longest-cancelled
    /// request has ignored its cancellation, or null: past the graceful timeout its worker is replaced.
    /// </summary>
    public TimeSpan? CancelOverdue(TimeSpan timeout)
    {
        long now = Stopwatch.GetTimestamp();
        long limit = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        List<WorkerRequest>? overdue = null;
        long oldestCancel = 0;
        lock (_lock)
        {
            foreach (WorkerRequest request in _order)
            {
                if (request.CancelledAt != 0)
                {
                    oldestCancel = oldestCancel == 0 ? request.CancelledAt : Math.Min(oldestCancel, request.CancelledAt);
                }
                else if (request.StartedAt != 0 && !request.AwaitsClient && now - request.LastProgress > limit)
                {
                    request.CancelledAt = now;
                    (overdue ??= []).Add(request);
                }
            }
        }
        foreach (WorkerRequest request in overdue ?? [])
        {
            LogCancelled(Name, Stopwatch.GetElapsedTime(request.LastProgress, now).TotalSeconds, request.Exchange.Describe());
            // Failed before CANCEL goes: the cancelled task's bare RESPONSE_END can come back before the next line
            // runs, and a request it ended first would be "ended before start_response", a 500 instead of the 504.
            request.Fail(DispatchOutcome.Timeout);
            SendFrame(FrameType.Cancel, request.Id, 0, []);
        }
        return oldestCancel == 0 ? null : Stopwatch.GetElapsedTime(oldestCancel, now);
    }

    /// <summary>Writes the REQUEST payload for an ASGI worker (the scope, or the environ of a listener that has only
    /// that) and returns the flags that go with it.</summary>
    private static byte AsgiRequestFlags(WorkerRequest request, FrameBuffer frames, long? bufferedLength)
    {
        byte flags = request.Exchange.WriteScope(frames, bufferedLength) ? FrameFlags.RequestScope : (byte)0;
        if (request.Exchange is ITrailersExchange { CanSendTrailers: true })
        {
            flags |= FrameFlags.RequestTrailers;
        }
        return flags;
    }

    /// <summary>LOG: a line from the worker (an app's traceback, a task's stack, a blocked event loop), at the level
    /// it gives in Python's numbers.</summary>
    private void OnLog(byte level, ReadOnlySequence<byte> payload) => Log(level, payload.ToArray());

    /// <summary>A LOG frame's line, in the front's log under the worker's name.</summary>
    public void Log(byte level, byte[] payload)
    {
        LogLevel logLevel = level switch
        {
            >= 50 => LogLevel.Critical,
            >= 40 => LogLevel.Error,
            >= 30 => LogLevel.Warning,
            >= 20 => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        if (_logger.IsEnabled(logLevel))
        {
            LogFromWorker(logLevel, Name, Encoding.UTF8.GetString(payload));
        }
    }

    [LoggerMessage(EventId = 105, Message = "[{Worker}] {Text}")]
    private partial void LogFromWorker(LogLevel level, string worker, string text);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "{Worker}: {Request} made no progress for {Seconds:0.0} s (--timeout): answered 504 if nothing was sent, cancelled its task; the worker's other requests go on")]
    private partial void LogCancelled(string worker, double seconds, string request);
}
