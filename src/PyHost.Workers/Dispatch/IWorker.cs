using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Dispatch;

/// <summary>
/// A worker as the pool sees it: something with a number of request slots that runs a request and answers how it
/// ended. The worker channel implements it; the pool's tests fake it.
/// </summary>
public interface IWorker
{
    /// <summary>"worker 3 (pid 1234)", for log lines.</summary>
    string Name { get; }

    /// <summary>The worker's id (PYHOST_WORKER_ID), for the access log; 0 when unknown.</summary>
    int WorkerId => 0;

    /// <summary>False once it retires, breaks or dies: no new request may be given to it.</summary>
    bool IsAccepting { get; }

    /// <summary>Requests it runs at once: 1 for a WSGI worker thread, many for an ASGI worker.</summary>
    int Capacity { get; }

    /// <summary>Requests it may hold waiting behind the ones it runs (pipelining); 0 for none.</summary>
    int PipelineDepth { get; }

    /// <summary>Due for replacement (--max-requests): it still runs requests in its free slots until its successor is
    /// ready, but none may wait behind its running ones, where they would only be recalled when it retires.</summary>
    bool IsDueForReplacement { get; }

    /// <summary>Requests given to it and not ended: running ones first, then waiting ones.</summary>
    int Outstanding { get; }

    /// <summary>When (TickCount64) the request it started last began to run; 0 while it runs none.</summary>
    long LastStartedAt { get; }

    /// <summary>Takes one slot if fewer than <paramref name="limit"/> requests are outstanding.</summary>
    bool TryReserve(int limit);

    /// <summary>Gives back a slot taken by <see cref="TryReserve"/> that will not be used.</summary>
    void CancelReservation();

    /// <summary>Asks the worker to give back the newest request waiting in it (RECALL), so that an idle worker can run
    /// it; false when none waits there. It comes back as <see cref="DispatchOutcome.NotStarted"/>, unless it started.</summary>
    bool TryRecallWaiting();

    /// <summary>Runs a request in a slot reserved for it, forwarding the response to the exchange. Returns
    /// <see cref="DispatchOutcome.NotStarted"/> when the worker gave it back unstarted.</summary>
    ValueTask<DispatchOutcome> RunAsync(IWorkerExchange exchange, RequestBody body, DispatchPolicy policy);

    /// <summary>Set by the pool: told whenever a slot frees up (a request ended, or the worker became ready).</summary>
    Action<IWorker>? SlotFreed { get; set; }
}
