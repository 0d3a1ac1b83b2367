using System.Threading.Channels;
using PyHost.Workers.Channel;

namespace PyHost.Workers.Dispatch;

/// <summary>
/// The one way to reach a worker: <see cref="DispatchAsync"/> takes an idle worker (or waits in a bounded queue),
/// runs the request on it and returns how it ended. HTTP and every gateway listener call this and nothing else.
/// No thread is blocked while a request waits: waiters are queued continuations, served in arrival order.
/// </summary>
public sealed class WorkerPool
{
    // A released worker goes straight to the request that waited longest, on the releasing thread: the worker gets
    // its next request without a thread-pool hop (a context switch per request otherwise, the front's main cost).
    private readonly Channel<WorkerChannel> _idle = System.Threading.Channels.Channel.CreateUnbounded<WorkerChannel>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = true });
    private readonly int _maxWaiting;
    private int _waiting;

    /// <param name="maxWaiting">How many requests may wait for a worker; beyond it they get QueueFull (503).</param>
    public WorkerPool(int maxWaiting)
    {
        _maxWaiting = maxWaiting;
    }

    /// <summary>Requests waiting for a worker right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public async ValueTask<DispatchOutcome> DispatchAsync(IWorkerExchange exchange)
    {
        while (true)
        {
            if (!_idle.Reader.TryRead(out WorkerChannel? worker))
            {
                if (Interlocked.Increment(ref _waiting) > _maxWaiting)
                {
                    Interlocked.Decrement(ref _waiting);
                    return DispatchOutcome.QueueFull;
                }
                try
                {
                    worker = await _idle.Reader.ReadAsync(exchange.ClientAborted);
                }
                catch (OperationCanceledException)
                {
                    return DispatchOutcome.ClientGone;
                }
                catch (ChannelClosedException)
                {
                    return DispatchOutcome.ShuttingDown;
                }
                finally
                {
                    Interlocked.Decrement(ref _waiting);
                }
            }

            // A worker may have died or been retired while it sat idle; its replacement is added when it is ready.
            if (!worker.TryBeginRequest())
            {
                continue;
            }
            try
            {
                return await worker.RunAsync(exchange);
            }
            finally
            {
                if (worker.EndRequest())
                {
                    _idle.Writer.TryWrite(worker);
                }
            }
        }
    }

    /// <summary>Offers a worker that finished booting.</summary>
    public void Add(WorkerChannel worker) => _idle.Writer.TryWrite(worker);

    /// <summary>No new dispatch will get a worker; queued ones get ShuttingDown.</summary>
    public void Close() => _idle.Writer.TryComplete();
}
