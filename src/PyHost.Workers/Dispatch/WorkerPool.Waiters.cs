using System.Diagnostics;

namespace PyHost.Workers.Dispatch;

// Requests waiting for a worker: a FIFO served by the thread that frees a slot, with no thread-pool hop between a
// released worker and its next request (a context switch per request otherwise, the front's main cost).
public sealed partial class WorkerPool
{
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly Lock _waitersLock = new();   // _waiters, _closed, _workers changes, and taking a slot for a waiter
    private bool _closed;
    private int _waiting;

    /// <summary>Requests waiting for a worker right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Requests not yet running: those waiting here and those pipelined behind a busy worker's.</summary>
    public int Queued => Waiting + Volatile.Read(ref _workers).Sum(w => Math.Max(0, w.Outstanding - w.Capacity));

    private async ValueTask<(IWorker? Worker, DispatchOutcome Failure)> WaitForSlotAsync(IWorkerExchange exchange, bool pipelinable, bool requeued)
    {
        Waiter waiter;
        lock (_waitersLock)
        {
            if (_closed)
            {
                return (null, DispatchOutcome.ShuttingDown);
            }
            // Again under the lock: a slot freed since the lock-free try is seen here, or its SlotFreed sees us.
            if (TryTakeSlot(pipelinable) is { } worker)
            {
                return (worker, DispatchOutcome.Completed);
            }
            if (!requeued && _waiters.Count >= _options.MaxQueued)
            {
                return (null, DispatchOutcome.QueueFull);
            }
            waiter = new Waiter(this, pipelinable);
            // A request given back unstarted has waited already: it goes first.
            waiter.Node = requeued ? _waiters.AddFirst(waiter) : _waiters.AddLast(waiter);
            _waiting = _waiters.Count;
        }
        using (exchange.ClientAborted.UnsafeRegister(static state => ((Waiter)state!).Cancel(), waiter))
        {
            IWorker? worker = await waiter.Task;
            if (worker is not null)
            {
                return (worker, DispatchOutcome.Completed);
            }
        }
        return (null, waiter.Cancelled ? DispatchOutcome.ClientGone : DispatchOutcome.ShuttingDown);
    }

    /// <summary>A worker has a free slot: the request that waited longest takes it, on this thread.</summary>
    private void OnSlotFreed(IWorker worker)
    {
        while (true)
        {
            Waiter? chosen;
            lock (_waitersLock)
            {
                if (!worker.IsAccepting)
                {
                    return;
                }
                if (_waiters.First is not { } first)
                {
                    if (worker.Outstanding < worker.Capacity)
                    {
                        RecallFromSlowest(worker);
                    }
                    return;
                }
                chosen = first.Value;
                bool reserved = worker.TryReserve(worker.Capacity)
                                || (chosen.Pipelinable && CanPipelineOnto(worker, Stopwatch.GetTimestamp())
                                    && worker.TryReserve(worker.Capacity + worker.PipelineDepth));
                if (!reserved)
                {
                    return;
                }
                _waiters.RemoveFirst();
                chosen.Node = null;
                _waiting = _waiters.Count;
            }
            if (!chosen.TrySetWorker(worker))
            {
                worker.CancelReservation();   // its client left in between
            }
        }
    }

    /// <summary>
    /// A worker has room and nobody waits for one here: a request pipelined behind a request that turned out slow
    /// (it has run past the pipelining age) is called back, to run on the idle worker instead of waiting.
    /// </summary>
    private void RecallFromSlowest(IWorker idle)
    {
        long now = Stopwatch.GetTimestamp();
        IWorker? slowest = null;
        foreach (IWorker worker in Volatile.Read(ref _workers))
        {
            long startedAt = worker.LastStartedAt;
            if (worker != idle && worker.Outstanding > worker.Capacity && startedAt != 0 && now - startedAt > _pipelineMaxAgeTicks
                && (slowest is null || startedAt < slowest.LastStartedAt))
            {
                slowest = worker;
            }
        }
        slowest?.TryRecallWaiting();
    }

    /// <summary>No new dispatch will get a worker; waiting ones get ShuttingDown.</summary>
    public void Close()
    {
        List<Waiter> waiting;
        lock (_waitersLock)
        {
            _closed = true;
            waiting = [.. _waiters];
            _waiters.Clear();
            _waiting = 0;
        }
        foreach (Waiter waiter in waiting)
        {
            waiter.Node = null;
            waiter.TrySetWorker(null);
        }
    }

    private sealed class Waiter(WorkerPool pool, bool pipelinable)
    {
        // Continuations run on the thread that frees the slot: see the class comment.
        private readonly TaskCompletionSource<IWorker?> _result = new();

        public bool Pipelinable { get; } = pipelinable;

        public LinkedListNode<Waiter>? Node { get; set; }

        public bool Cancelled { get; private set; }

        public Task<IWorker?> Task => _result.Task;

        public bool TrySetWorker(IWorker? worker) => _result.TrySetResult(worker);

        public void Cancel()
        {
            lock (pool._waitersLock)
            {
                if (Node is not null)
                {
                    pool._waiters.Remove(Node);
                    Node = null;
                    pool._waiting = pool._waiters.Count;
                }
                Cancelled = true;
            }
            _result.TrySetResult(null);
        }
    }
}
