using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Tests.Dispatch;

public sealed class WorkerPoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pyhost-pool-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private WorkerPool Pool(int maxQueued = 10, TimeSpan? pipelineMaxAge = null) => new(new WorkerPoolOptions
    {
        MaxQueued = maxQueued,
        PipelineMaxAge = pipelineMaxAge ?? TimeSpan.FromMilliseconds(1),
        Buffers = Budgets.Create(_directory),
    });

    [Fact]
    public async Task ARequestGoesToAnIdleWorkerAndReturnsItsOutcome()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);

        ValueTask<DispatchOutcome> dispatch = pool.DispatchAsync(new FakeExchange());
        Assert.Single(worker.Runs);
        worker.Finish(0, DispatchOutcome.WorkerDied);

        Assert.Equal(DispatchOutcome.WorkerDied, await dispatch);
        Assert.Equal(0, worker.Outstanding);
    }

    [Fact]
    public async Task RequestsWaitInArrivalOrderAndEachFreedSlotGoesToTheOldest()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        var exchanges = Enumerable.Range(0, 4).Select(i => new FakeExchange($"GET /{i}")).ToList();
        var dispatches = exchanges.Select(e => pool.DispatchAsync(e).AsTask()).ToList();
        Assert.Equal(3, pool.Waiting);

        for (int i = 0; i < 4; i++)
        {
            Assert.Same(exchanges[i], worker.Runs[i].Exchange);
            worker.Finish(i);
            Assert.Equal(DispatchOutcome.Completed, await dispatches[i]);
        }
        Assert.Equal(0, pool.Waiting);
    }

    [Fact]
    public async Task BeyondTheQueueBoundRequestsGetQueueFull()
    {
        WorkerPool pool = Pool(maxQueued: 2);
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange());
        _ = pool.DispatchAsync(new FakeExchange());
        _ = pool.DispatchAsync(new FakeExchange());

        Assert.Equal(DispatchOutcome.QueueFull, await pool.DispatchAsync(new FakeExchange()));
        Assert.Equal(2, pool.Waiting);
    }

    [Fact]
    public async Task AClientThatLeavesWhileQueuedIsRemovedAndNeverRun()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange());
        var leaving = new FakeExchange("GET /leaving");
        var staying = new FakeExchange("GET /staying");
        Task<DispatchOutcome> left = pool.DispatchAsync(leaving).AsTask();
        Task<DispatchOutcome> stayed = pool.DispatchAsync(staying).AsTask();

        leaving.Abort();
        Assert.Equal(DispatchOutcome.ClientGone, await left);
        Assert.Equal(1, pool.Waiting);
        worker.Finish(0);

        Assert.Same(staying, worker.Runs[1].Exchange);
        worker.Finish(1);
        Assert.Equal(DispatchOutcome.Completed, await stayed);
        Assert.Equal(2, worker.Runs.Count);
    }

    [Fact]
    public async Task ClosingThePoolAnswersWaitingAndNewRequestsWithShuttingDown()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange());
        Task<DispatchOutcome> waiting = pool.DispatchAsync(new FakeExchange()).AsTask();

        pool.Close();

        Assert.Equal(DispatchOutcome.ShuttingDown, await waiting);
        Assert.Equal(DispatchOutcome.ShuttingDown, await pool.DispatchAsync(new FakeExchange()));
    }

    [Fact]
    public void AWorkerThatStoppedAcceptingIsSkipped()
    {
        WorkerPool pool = Pool();
        var retiring = new FakeWorker("retiring") { IsAccepting = false };
        var fresh = new FakeWorker("fresh");
        pool.Add(retiring);
        pool.Add(fresh);

        for (int i = 0; i < 3; i++)
        {
            _ = pool.DispatchAsync(new FakeExchange());
        }

        Assert.Empty(retiring.Runs);
        Assert.Single(fresh.Runs);
        Assert.Equal(2, pool.Waiting);
    }

    [Fact]
    public void WhenEveryWorkerIsBusyARequestWithoutBodyIsPipelinedBehindTheYoungestRunningRequest()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromSeconds(10));
        var older = new FakeWorker("older", pipelineDepth: 2);
        var younger = new FakeWorker("younger", pipelineDepth: 2);
        pool.Add(older);
        pool.Add(younger);
        _ = pool.DispatchAsync(new FakeExchange("GET /a"));
        _ = pool.DispatchAsync(new FakeExchange("GET /b"));
        FakeWorker first = older.Runs.Count == 1 ? older : younger;
        FakeWorker second = first == older ? younger : older;
        first.LastStartedAt = System.Diagnostics.Stopwatch.GetTimestamp() - 100;
        second.LastStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();

        _ = pool.DispatchAsync(new FakeExchange("GET /c"));

        Assert.Equal(2, second.Runs.Count);
        Assert.Equal(0, pool.Waiting);
    }

    [Fact]
    public void NothingIsPipelinedBehindARequestThatHasRunLongerThanThePipeliningAge()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromMilliseconds(1));
        var worker = new FakeWorker("w1", pipelineDepth: 4);
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange());
        worker.LastStartedAt = System.Diagnostics.Stopwatch.GetTimestamp() - System.Diagnostics.Stopwatch.Frequency;   // 1 s ago

        _ = pool.DispatchAsync(new FakeExchange());

        Assert.Single(worker.Runs);
        Assert.Equal(1, pool.Waiting);
    }

    [Fact]
    public void ARequestWithABodyIsNeverPipelined()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromSeconds(10));
        var worker = new FakeWorker("w1", pipelineDepth: 4);
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange());

        _ = pool.DispatchAsync(new FakeExchange("POST /", body: "data"u8.ToArray()));

        Assert.Single(worker.Runs);
        Assert.Equal(1, pool.Waiting);
    }

    [Fact]
    public void PipeliningStopsAtTheWorkersDepth()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromSeconds(10));
        var worker = new FakeWorker("w1", pipelineDepth: 2);
        pool.Add(worker);

        for (int i = 0; i < 5; i++)
        {
            _ = pool.DispatchAsync(new FakeExchange());
        }

        Assert.Equal(3, worker.Runs.Count);
        Assert.Equal(2, pool.Waiting);
        Assert.Equal(4, pool.Queued);
    }

    [Fact]
    public async Task AWorkerDueForReplacementTakesRequestsIntoFreeSlotsButNoneIsPipelinedBehindItsRunningOne()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromSeconds(10));
        var worker = new FakeWorker("w1", pipelineDepth: 1);
        pool.Add(worker);
        _ = pool.DispatchAsync(new FakeExchange("GET /running"));
        var withdrawn = new FakeExchange("GET /withdrawn");
        Task<DispatchOutcome> pipelined = pool.DispatchAsync(withdrawn).AsTask();
        Assert.Equal(2, worker.Runs.Count);

        worker.IsDueForReplacement = true;
        var next = new FakeExchange("GET /next");
        _ = pool.DispatchAsync(next);
        withdrawn.Abort();
        worker.Finish(1, DispatchOutcome.NotStarted);   // the place behind the running request is free again...
        Assert.Equal(DispatchOutcome.ClientGone, await pipelined);
        _ = pool.DispatchAsync(new FakeExchange("GET /last"));

        Assert.Equal(2, worker.Runs.Count);              // ...and neither the waiting request nor a new one takes it
        Assert.Equal(2, pool.Waiting);
        worker.Finish(0);
        Assert.Same(next, worker.Runs[2].Exchange);      // a free slot is still taken
        Assert.Equal(3, worker.Runs.Count);
        Assert.Equal(1, pool.Waiting);
    }

    [Fact]
    public async Task ARequestGivenBackUnstartedRunsAgainAheadOfLaterOnes()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        var first = new FakeExchange("GET /first");
        Task<DispatchOutcome> dispatch = pool.DispatchAsync(first).AsTask();
        Task<DispatchOutcome> later = pool.DispatchAsync(new FakeExchange("GET /later")).AsTask();

        worker.Finish(0, DispatchOutcome.NotStarted);

        Assert.Same(first, worker.Runs[1].Exchange);
        worker.Finish(1);
        Assert.Equal(DispatchOutcome.Completed, await dispatch);
        Assert.False(later.IsCompleted);
    }

    [Fact]
    public void AWorkerWithRoomAndNobodyWaitingRecallsFromTheWorkerWhoseRunningRequestIsOldest()
    {
        WorkerPool pool = Pool(pipelineMaxAge: TimeSpan.FromSeconds(10));
        var slow = new FakeWorker("slow", pipelineDepth: 2);
        pool.Add(slow);
        _ = pool.DispatchAsync(new FakeExchange());
        _ = pool.DispatchAsync(new FakeExchange());
        Assert.Equal(2, slow.Runs.Count);
        slow.LastStartedAt = System.Diagnostics.Stopwatch.GetTimestamp() - 100 * System.Diagnostics.Stopwatch.Frequency;

        pool.Add(new FakeWorker("idle"));

        Assert.Equal(1, slow.Recalls);
    }

    [Fact]
    public async Task ABodyLargerThanTheRouteAllowsGets413BeforeAnyWorkerIsInvolved()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        var policy = DispatchPolicy.Default with { MaxRequestBodySize = 10 };

        Assert.Equal(DispatchOutcome.RequestBodyTooLarge, await pool.DispatchAsync(new FakeExchange("POST /", new byte[11]), policy));
        Assert.Equal(DispatchOutcome.RequestBodyTooLarge, await pool.DispatchAsync(new FakeExchange("POST /", new byte[11], chunked: true), policy));
        Assert.Empty(worker.Runs);
    }

    [Fact]
    public async Task TheBodyIsReadWholeBeforeAWorkerIsTaken()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        byte[] data = new byte[300_000];
        new Random(3).NextBytes(data);

        _ = pool.DispatchAsync(new FakeExchange("POST /", data, chunked: true));

        RequestBody body = Assert.Single(worker.Runs).Body;
        Assert.Equal(RequestBodyMode.Buffered, body.Mode);
        Assert.Equal(data.Length, body.Length);
        byte[] copy = new byte[data.Length];
        for (int offset = 0; offset < copy.Length;)
        {
            offset += body.Read(offset, copy.AsSpan(offset));
        }
        Assert.Equal(data, copy);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task ABodyThatCannotBeReadEndsTheDispatchWithoutAWorker()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);

        Assert.Equal(DispatchOutcome.RequestBodyFailed, await pool.DispatchAsync(new FakeExchange("POST /", new byte[100_000], failAfter: 20_000)));
        Assert.Empty(worker.Runs);
    }

    [Fact]
    public async Task WithRequestBufferingOffALargeBodyIsLeftToTheWorkerToPull()
    {
        WorkerPool pool = Pool();
        var worker = new FakeWorker("w1");
        pool.Add(worker);
        var exchange = new FakeExchange("POST /", new byte[1_000_000]);

        _ = pool.DispatchAsync(exchange, DispatchPolicy.Default with { RequestBuffering = false });

        Assert.Equal(RequestBodyMode.Streamed, Assert.Single(worker.Runs).Body.Mode);
        Assert.Equal(0, exchange.BodyReads);
        await Task.CompletedTask;
    }
}
