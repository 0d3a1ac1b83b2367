using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Tests.Dispatch;

/// <summary>A worker without a process: each request it runs waits until the test ends it.</summary>
internal sealed class FakeWorker(string name, int capacity = 1, int pipelineDepth = 0) : IWorker
{
    private readonly object _lock = new();
    private int _outstanding;

    public string Name { get; } = name;
    public bool IsAccepting { get; set; } = true;
    public int Capacity { get; } = capacity;
    public int PipelineDepth { get; } = pipelineDepth;
    public bool IsDueForReplacement { get; set; }
    public int Outstanding => Volatile.Read(ref _outstanding);
    public long LastStartedAt { get; set; }
    public Action<IWorker>? SlotFreed { get; set; }

    /// <summary>The requests it was given, in order, each with the completion the test sets.</summary>
    public List<(IWorkerExchange Exchange, RequestBody Body, TaskCompletionSource<DispatchOutcome> Done)> Runs { get; } = new();

    public int Recalls { get; private set; }

    public bool TryReserve(int limit)
    {
        lock (_lock)
        {
            if (!IsAccepting || _outstanding >= limit)
            {
                return false;
            }
            _outstanding++;
            return true;
        }
    }

    public void CancelReservation()
    {
        lock (_lock)
        {
            _outstanding--;
        }
    }

    public bool TryRecallWaiting()
    {
        Recalls++;
        return Outstanding > Capacity;
    }

    public async ValueTask<DispatchOutcome> RunAsync(IWorkerExchange exchange, RequestBody body, DispatchPolicy policy)
    {
        var done = new TaskCompletionSource<DispatchOutcome>();
        lock (_lock)
        {
            Runs.Add((exchange, body, done));
        }
        if (Outstanding <= Capacity)
        {
            LastStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        return await done.Task;
    }

    /// <summary>
    /// Ends the n-th request it was given, as the channel does at RESPONSE_END: the freed slot goes to a waiting
    /// request first; but a request given back unstarted is sent on its way again before the slot is offered.
    /// </summary>
    public void Finish(int index, DispatchOutcome outcome = DispatchOutcome.Completed)
    {
        lock (_lock)
        {
            _outstanding--;
        }
        if (outcome == DispatchOutcome.NotStarted)
        {
            Runs[index].Done.SetResult(outcome);
            SlotFreed?.Invoke(this);
            return;
        }
        SlotFreed?.Invoke(this);
        Runs[index].Done.SetResult(outcome);
    }
}

/// <summary>A request from a listener that does nothing but count: an optional body, read in pieces.</summary>
internal sealed class FakeExchange(string target = "GET /", byte[]? body = null, bool chunked = false, int failAfter = -1) : IWorkerExchange
{
    private readonly CancellationTokenSource _aborted = new();
    private int _offset;

    public RequestBodyInfo Body { get; } = body is null ? RequestBodyInfo.None : new(true, chunked ? null : body.Length, false);
    public bool IsHeadRequest => false;
    public CancellationToken ClientAborted => _aborted.Token;
    public int BodyReads { get; private set; }

    public void Abort() => _aborted.Cancel();

    public void WriteEnviron(IBufferWriter<byte> output, long? bufferedBodyLength) { }

    public ValueTask<int> ReadBodyAsync(IBufferWriter<byte> destination, int maxBytes)
    {
        BodyReads++;
        if (failAfter >= 0 && _offset >= failAfter)
        {
            throw new IOException("the client went away");
        }
        int count = Math.Min(Math.Min(maxBytes, 10_000), body!.Length - _offset);
        body.AsSpan(_offset, count).CopyTo(destination.GetSpan(count));
        destination.Advance(count);
        _offset += count;
        return ValueTask.FromResult(count);
    }

    public void StartResponse(ResponseHead head) { }
    public void WriteBody(ReadOnlySpan<byte> chunk) { }
    public ValueTask<bool> FlushAsync() => ValueTask.FromResult(true);
    public string Describe() => target;
}

internal static class Budgets
{
    public static BufferBudget Create(string directory, long memoryTotal = 256L << 20, long diskTotal = 4L << 30,
        int responseMemory = 1 << 20, long responseDisk = 1L << 30, int requestBodyMemory = 1 << 20) =>
        new(new BufferLimits
        {
            Directory = directory,
            RequestBodyMemory = requestBodyMemory,
            MemoryTotal = memoryTotal,
            DiskTotal = diskTotal,
            ResponseMemory = responseMemory,
            ResponseDisk = responseDisk,
        }, NullLogger.Instance);
}
