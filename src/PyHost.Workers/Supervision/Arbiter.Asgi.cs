using Microsoft.Extensions.Logging;
using PyHost.Workers.Channel;
using PyHost.Workers.Observability;

namespace PyHost.Workers.Supervision;

// ASGI workers under supervision: their interface from READY, a timeout per request, WebSockets at the end of a
// worker's life (1012 when a reload drains it, 1001 when the server stops), and time for the lifespan shutdown.
public sealed partial class Arbiter
{
    /// <summary>RFC 6455 §7.4.1 as registered by IANA: 1012 "service restart", 1001 "going away".</summary>
    private const ushort ServiceRestart = 1012;
    private const ushort GoingAway = 1001;

    private void SetInterfaceEnvironment(IDictionary<string, string?> environment)
    {
        environment["PYHOST_INTERFACE"] = _options.Interface;
        environment["PYHOST_LIFESPAN"] = _options.Lifespan;
        environment["PYHOST_LOOP"] = _options.Loop;
    }

    /// <summary>A WSGI worker's channel runs one request and may hold more waiting (pipelining); an ASGI worker's runs
    /// --worker-connections at once, none waiting in it.</summary>
    private void ConfigureChannel(WorkerProcess worker, WorkerChannel channel)
    {
        if (worker.IsAsgi)
        {
            channel.ConfigureForAsgi(_options.WorkerConnections);
            channel.AllowsPathSend = _options.User is null && _options.Group is null;
        }
        else
        {
            channel.PipelineDepth = _options.PipelineDepth;
        }
    }

    private static string DescribeInterface(string readyInterface) => readyInterface.Split(' ') switch
    {
        ["asgi", var loop] => $"ASGI on {loop}",
        ["asgi"] => "ASGI",
        _ => "WSGI",
    };

    /// <summary>
    /// --timeout for an ASGI worker: each request on its own. An idle-too-long request gets 504 and CANCEL; a worker
    /// with a request that ignored its cancellation for --graceful-timeout is replaced, as a hung sync worker is (its
    /// other requests get that long to finish).
    /// </summary>
    private void CancelOverdueRequests(WorkerProcess worker, long now)
    {
        foreach (WorkerChannel channel in worker.Channels)
        {
            if (channel.CancelOverdue(_options.Timeout) is { } ignoring && ignoring > _options.GracefulTimeout && !worker.Retiring)
            {
                LogCancellationIgnored(worker.Name, ignoring.TotalSeconds);
                Signals.Send(worker.Pid, Signals.SigUsr1);   // every thread's stack, for the log
                Retire(worker, RetireCause.Timeout, "a request ignored its cancellation");
            }
        }
    }

    /// <summary>
    /// A retiring ASGI worker's graceful time is up while WebSockets are still open: they are closed with 1012
    /// (service restart) so clients reconnect to a fresh worker, and the worker gets a moment to see them go before
    /// it is terminated. True when that happened now.
    /// </summary>
    private bool CloseWebSocketsBeforeTerminate(WorkerProcess worker, long now)
    {
        if (!worker.IsAsgi || worker.WebSocketsClosed)
        {
            return false;
        }
        worker.WebSocketsClosed = true;
        int closed = worker.Channels.Sum(channel => channel.CloseSessions(ServiceRestart, "service restart"));
        if (closed == 0)
        {
            return false;
        }
        LogWebSocketsClosed(worker.Name, closed, ServiceRestart);
        worker.TerminateAt = now + (long)TerminateGrace.TotalMilliseconds;
        return true;
    }

    /// <summary>How long a worker whose channels were closed may take to exit: an ASGI worker runs its lifespan
    /// shutdown (and the background tasks still running) first.</summary>
    private TimeSpan ExitGrace(WorkerProcess worker) =>
        worker.IsAsgi && _options.GracefulTimeout > TerminateGrace ? _options.GracefulTimeout : TerminateGrace;

    /// <summary>The server stops: every open WebSocket gets 1001 (going away) at once instead of holding the stop for
    /// the whole graceful timeout. Returns how many were open.</summary>
    public int CloseWebSockets()
    {
        List<WorkerChannel> channels;
        lock (_workers)
        {
            channels = _workers.Values.Where(w => w.IsAsgi).SelectMany(w => w.Channels).ToList();
        }
        int closed = channels.Sum(channel => channel.CloseSessions(GoingAway, "server shutting down"));
        if (closed > 0)
        {
            LogWebSocketsClosed("the server", closed, GoingAway);
        }
        return closed;
    }

    [LoggerMessage(EventId = 216, Level = LogLevel.Error, Message = "{Worker}: a request has ignored its cancellation for {Seconds:0.0} s (past --graceful-timeout); the worker is replaced, its stack follows")]
    private partial void LogCancellationIgnored(string worker, double seconds);

    [LoggerMessage(EventId = 217, Level = LogLevel.Information, Message = "{Owner}: closed {Count} open WebSockets with {Code}")]
    private partial void LogWebSocketsClosed(string owner, int count, ushort code);
}
