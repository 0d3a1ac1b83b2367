using System.Diagnostics;
using PyHost.Protocol;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Dispatch;

/// <summary>
/// The one way to reach a worker: <see cref="DispatchAsync"/> buffers the request body, takes a free worker slot (or
/// queues the request behind a young running one, or waits in a bounded queue), runs the request and returns how it
/// ended. HTTP and every gateway listener call this and nothing else. No thread is blocked while a request waits.
/// </summary>
public sealed partial class WorkerPool
{
    private WorkerPoolOptions _options;
    private long _pipelineMaxAgeTicks;
    private IWorker[] _workers = [];
    private int _rotor;

    public WorkerPool(WorkerPoolOptions options)
    {
        _options = options;
        _pipelineMaxAgeTicks = (long)(options.PipelineMaxAge.TotalSeconds * Stopwatch.Frequency);
    }

    public BufferBudget Buffers => _options.Buffers;

    /// <summary>A configuration reload's new queue bound and pipelining age; requests in flight are not affected.</summary>
    public void Reconfigure(WorkerPoolOptions options)
    {
        _pipelineMaxAgeTicks = (long)(options.PipelineMaxAge.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref _options, options);
    }

    /// <summary>The workers the pool dispatches to (those not accepting are skipped).</summary>
    public IReadOnlyList<IWorker> Workers => Volatile.Read(ref _workers);

    public async ValueTask<DispatchOutcome> DispatchAsync(IWorkerExchange exchange, DispatchPolicy? policy = null)
    {
        policy ??= DispatchPolicy.Default;
        RequestBodyInfo info = exchange.Body;
        RequestBody body = RequestBody.None;
        if (info.HasBody)
        {
            bool smallAndSent = info.ContentLength <= FrameLimits.EagerBodyLimit && !info.ExpectsContinue;
            if (policy.RequestBuffering || smallAndSent)
            {
                (RequestBody? buffered, DispatchOutcome? failure) = await RequestBody.ReadAsync(exchange, policy.MaxRequestBodySize, _options.Buffers);
                if (failure is { } outcome)
                {
                    return outcome;
                }
                body = buffered!;
            }
            else if (info.ContentLength > policy.MaxRequestBodySize)
            {
                return DispatchOutcome.RequestBodyTooLarge;
            }
            else
            {
                body = RequestBody.Streamed;
            }
        }
        try
        {
            // Only a request without a body waits behind another in a worker: one with a body would tie up the
            // worker's reads of it, and a POST is rarely worth the risk.
            bool pipelinable = body.Mode == RequestBodyMode.None;
            bool requeued = false;
            while (true)
            {
                IWorker? worker = TryTakeSlot(pipelinable);
                long waitStartedAt = 0;
                if (worker is null)
                {
                    waitStartedAt = Stopwatch.GetTimestamp();
                    (worker, DispatchOutcome failure) = await WaitForSlotAsync(exchange, pipelinable, requeued);
                    if (worker is null)
                    {
                        return failure;
                    }
                }
                if (!requeued)
                {
                    RecordWait(waitStartedAt);
                }
                exchange.WorkerAssigned(worker);
                DispatchOutcome outcome = await worker.RunAsync(exchange, body, policy);
                if (outcome != DispatchOutcome.NotStarted)
                {
                    return outcome;
                }
                // Given back unstarted (recalled, retiring, or its worker died first): it runs elsewhere, ahead of
                // requests that came after it.
                if (exchange.ClientAborted.IsCancellationRequested)
                {
                    return DispatchOutcome.ClientGone;
                }
                requeued = true;
            }
        }
        finally
        {
            if (body.Mode == RequestBodyMode.Buffered)
            {
                body.Dispose();
            }
        }
    }

    /// <summary>
    /// A free slot on the least loaded accepting worker (an idle one when workers run one request at a time); when
    /// every worker is busy and the request may be pipelined, a place behind the running request that started last,
    /// if it started less than <see cref="WorkerPoolOptions.PipelineMaxAge"/> ago and its worker is not due for
    /// replacement. Lock-free; null when none.
    /// </summary>
    private IWorker? TryTakeSlot(bool pipelinable)
    {
        IWorker[] workers = Volatile.Read(ref _workers);
        int count = workers.Length;
        if (count == 0)
        {
            return null;
        }
        int start = (int)((uint)Interlocked.Increment(ref _rotor) % (uint)count);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            IWorker? best = null;
            int bestFree = 0;
            for (int i = 0; i < count; i++)
            {
                IWorker worker = workers[(start + i) % count];
                if (!worker.IsAccepting)
                {
                    continue;
                }
                int free = worker.Capacity - worker.Outstanding;
                if (free > bestFree)
                {
                    best = worker;
                    bestFree = free;
                    if (free == worker.Capacity)
                    {
                        break;   // idle: nothing is better
                    }
                }
            }
            if (best is null)
            {
                break;
            }
            if (best.TryReserve(best.Capacity))
            {
                return best;
            }
        }
        return pipelinable ? TryPipeline(workers) : null;
    }

    private IWorker? TryPipeline(IWorker[] workers)
    {
        long now = Stopwatch.GetTimestamp();
        IWorker? best = null;
        long bestStartedAt = 0;
        foreach (IWorker worker in workers)
        {
            if (CanPipelineOnto(worker, now) && worker.LastStartedAt > bestStartedAt)
            {
                best = worker;
                bestStartedAt = worker.LastStartedAt;
            }
        }
        return best is not null && best.TryReserve(best.Capacity + best.PipelineDepth) ? best : null;
    }

    private bool CanPipelineOnto(IWorker worker, long now)
    {
        long startedAt = worker.LastStartedAt;
        return worker.IsAccepting && !worker.IsDueForReplacement && worker.PipelineDepth > 0 && startedAt != 0
               && now - startedAt <= _pipelineMaxAgeTicks && worker.Outstanding < worker.Capacity + worker.PipelineDepth;
    }

    /// <summary>Offers a worker that finished booting.</summary>
    public void Add(IWorker worker)
    {
        lock (_waitersLock)
        {
            worker.SlotFreed = OnSlotFreed;
            _workers = [.. _workers, worker];
        }
        OnSlotFreed(worker);
    }

    /// <summary>Forgets a worker that retired or died.</summary>
    public void Remove(IWorker worker)
    {
        lock (_waitersLock)
        {
            _workers = _workers.Where(w => w != worker).ToArray();
        }
    }
}
