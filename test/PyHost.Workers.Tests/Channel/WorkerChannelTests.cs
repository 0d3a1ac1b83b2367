using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Tests.Dispatch;

namespace PyHost.Workers.Tests.Channel;

public sealed class WorkerChannelTests
{
    private static readonly TimeSpan Briefly = TimeSpan.FromMilliseconds(300);

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task ARequestWithoutBodyGoesOutFlaggedNoBodyAndAResponseInOneReadReachesTheClientInOneFlush()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange("GET /hello");

        Task<DispatchOutcome> run = harness.RunAsync(exchange);
        var (request, environ) = await harness.ExpectAsync(FrameType.Request);
        Assert.Equal(FrameFlags.RequestNoBody, request.Flags);
        Assert.Equal("GET /hello|", Encoding.ASCII.GetString(environ));
        await harness.SendTogetherAsync(
            (FrameType.ResponseStart, request.RequestId, "200 OK\0Content-Type\0text/plain"u8.ToArray()),
            (FrameType.ResponseBody, request.RequestId, "Hello"u8.ToArray()),
            (FrameType.ResponseEnd, request.RequestId, []));

        Assert.Equal(DispatchOutcome.Completed, await run);
        Assert.Equal(200, exchange.Head!.StatusCode);
        Assert.Equal("Hello", Encoding.ASCII.GetString(exchange.BodyBytes));
        Assert.Equal(1, exchange.Flushes);
        Assert.Equal(0, harness.Channel.Outstanding);
    }

    [Fact]
    public async Task TheWorkerIsReleasedAtResponseEndWhileASlowClientIsStillReading()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange();
        exchange.HoldFlushes();
        byte[] body = Bytes(3 * FrameLimits.ResponseWindow, 1);

        Task<DispatchOutcome> run = harness.RunAsync(exchange);
        var (request, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(request.RequestId);
        for (int offset = 0; offset < body.Length; offset += FrameLimits.ResponseWindow)
        {
            await harness.SendBodyAsync(request.RequestId, body[offset..(offset + FrameLimits.ResponseWindow)]);
            // The front takes the bytes into its buffer and grants credit at once, whatever the client does.
            await harness.AwaitCreditAsync(request.RequestId, FrameLimits.ResponseWindow);
        }
        await harness.SendEndAsync(request.RequestId);

        await Poll.UntilAsync(() => harness.Channel.Outstanding == 0);
        Assert.False(run.IsCompleted);
        Assert.True(harness.Budget.DiskInUse + harness.Budget.MemoryInUse > 0);
        exchange.ReleaseFlushes();
        Assert.Equal(DispatchOutcome.Completed, await run);
        Assert.Equal(body, exchange.BodyBytes);
        Assert.Equal(0, harness.Budget.DiskInUse + harness.Budget.MemoryInUse);
    }

    [Fact]
    public async Task WithResponseBufferingOffTheWorkerGetsCreditOnlyAsTheClientTakesTheBytes()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange();
        exchange.HoldFlushes();

        Task<DispatchOutcome> run = harness.RunAsync(exchange, policy: DispatchPolicy.Default with { ResponseBuffering = false });
        var (request, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(request.RequestId);
        await harness.SendBodyAsync(request.RequestId, Bytes(FrameLimits.ResponseWindow, 2));

        Assert.Null(await harness.TryReadFrameAsync(Briefly));
        exchange.ReleaseFlushes();
        await harness.AwaitCreditAsync(request.RequestId, FrameLimits.ResponseWindow);
        await harness.SendEndAsync(request.RequestId);
        Assert.Equal(DispatchOutcome.Completed, await run);
    }

    [Fact]
    public async Task XAccelBufferingNoTurnsBufferingOffForOneResponseAndIsNotPassedOn()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange();
        exchange.HoldFlushes();

        Task<DispatchOutcome> run = harness.RunAsync(exchange);
        var (request, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(request.RequestId, "200 OK\0Content-Type\0text/event-stream\0X-Accel-Buffering\0no");
        await harness.SendBodyAsync(request.RequestId, Bytes(FrameLimits.ResponseWindow, 3));

        Assert.Null(await harness.TryReadFrameAsync(Briefly));
        exchange.ReleaseFlushes();
        await harness.AwaitCreditAsync(request.RequestId, FrameLimits.ResponseWindow);
        await harness.SendEndAsync(request.RequestId);
        await run;
        Assert.DoesNotContain(exchange.Head!.Headers, h => h.Key == "X-Accel-Buffering");
    }

    [Fact]
    public async Task PipelinedRequestsRunInOrderAndTheSecondCountsAsStartedWhenTheFirstEnds()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var (first, one, second, two) = await harness.RunTwoAsync("GET /1", "GET /2");
        Assert.Equal(2, harness.Channel.Outstanding);
        Assert.Equal("GET /1", harness.Channel.DescribeCurrentRequest());

        await harness.SendStartAsync(one);
        await harness.SendEndAsync(one);
        Assert.Equal(DispatchOutcome.Completed, await first);
        Assert.Equal("GET /2", harness.Channel.DescribeCurrentRequest());

        await harness.SendStartAsync(two);
        await harness.SendEndAsync(two);
        Assert.Equal(DispatchOutcome.Completed, await second);
        Assert.Null(harness.Channel.DescribeCurrentRequest());
    }

    [Fact]
    public async Task WhenTheWorkerDiesTheRunningRequestGets502AndTheWaitingOnesAreGivenBackUnstarted()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var (running, _, waiting, _) = await harness.RunTwoAsync("GET /running", "GET /waiting");

        harness.CloseWorkerEnd();

        Assert.Equal(DispatchOutcome.WorkerDied, await running);
        Assert.Equal(DispatchOutcome.NotStarted, await waiting);
        Assert.False(harness.Channel.IsAccepting);
    }

    /// <summary>The arbiter may see the process exit before the channel has read what the worker wrote last: the
    /// response it finished just before it began the request that killed it. That one is still answered, and the
    /// killer fails with 502 instead of being given back to run (and kill) again.</summary>
    [Fact]
    public async Task AnExitSeenBeforeTheLastResponseWasReadStillDeliversItAndFailsTheRequestThatRanNext()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var (finished, finishedId, killer, _) = await harness.RunTwoAsync("GET /finished", "GET /killer");

        harness.Channel.MarkBroken();
        Assert.False(harness.Channel.IsAccepting);
        await harness.SendStartAsync(finishedId);
        await harness.SendEndAsync(finishedId);
        harness.CloseWorkerEnd();

        Assert.Equal(DispatchOutcome.Completed, await finished);
        Assert.Equal(DispatchOutcome.WorkerDied, await killer);
    }

    /// <summary>A process the app forked may hold the dead worker's socket open: the end of file never comes, and the
    /// requests are decided after a short wait all the same.</summary>
    [Fact]
    public async Task AnExitWhoseSocketStaysOpenFailsTheRunningRequestAndGivesBackTheWaitingOneSoonAfter()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var (running, _, waiting, _) = await harness.RunTwoAsync("GET /running", "GET /waiting");

        harness.Channel.MarkBroken();

        Assert.Equal(DispatchOutcome.WorkerDied, await running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(DispatchOutcome.NotStarted, await waiting);
    }

    /// <summary>Requests given to one channel at the same moment from several threads: whichever REQUEST reached the
    /// worker first is the one that ran, so when the worker dies it is the one that fails, and the others are given
    /// back (a request that ran must never be run a second time elsewhere, as a crashing one would crash again).</summary>
    [Fact]
    public async Task RequestsDispatchedAtOnceFromManyThreadsAreFailedOrGivenBackByTheOrderTheWorkerGotThem()
    {
        const int Rounds = 100;
        const int AtOnce = 6;
        for (int round = 0; round < Rounds; round++)
        {
            await using var harness = await ChannelHarness.StartAsync(pipelineDepth: AtOnce);
            var exchanges = Enumerable.Range(0, AtOnce).Select(i => new RecordingExchange($"GET /{i}")).ToArray();
            using var together = new Barrier(AtOnce);
            Task<DispatchOutcome>[] runs = exchanges
                .Select(exchange => Task.Run(() => { together.SignalAndWait(); return harness.RunAsync(exchange); }))
                .ToArray();
            var (header, environ) = await harness.ExpectAsync(FrameType.Request);
            string firstArrived = Encoding.ASCII.GetString(environ).Split('|')[0];
            for (int i = 1; i < AtOnce; i++)
            {
                await harness.ExpectAsync(FrameType.Request);
            }

            harness.CloseWorkerEnd();

            for (int i = 0; i < AtOnce; i++)
            {
                DispatchOutcome expected = exchanges[i].Describe() == firstArrived ? DispatchOutcome.WorkerDied : DispatchOutcome.NotStarted;
                Assert.True(expected == await runs[i], $"round {round}: {exchanges[i].Describe()} ended {await runs[i]}, not {expected}; the worker got {firstArrived} (request {header.RequestId}) first");
            }
        }
    }

    [Fact]
    public async Task ATimeoutFailsTheRunningRequestWith504AndGivesBackTheWaitingOnes()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var (running, _, waiting, _) = await harness.RunTwoAsync("GET /hung", "GET /behind");

        harness.Channel.AbandonForTimeout();

        Assert.Equal(DispatchOutcome.Timeout, await running);
        Assert.Equal(DispatchOutcome.NotStarted, await waiting);
    }

    [Fact]
    public async Task AClientThatLeavesWhileItsRequestWaitsInTheWorkerWithdrawsItWithAbort()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        var leaving = new RecordingExchange("GET /leaving");
        Task<DispatchOutcome> running = harness.RunAsync(new RecordingExchange("GET /running"));
        Task<DispatchOutcome> withdrawn = harness.RunAsync(leaving);
        var (one, _) = await harness.ExpectAsync(FrameType.Request);
        var (two, _) = await harness.ExpectAsync(FrameType.Request);

        leaving.Abort();
        var (abort, _) = await harness.ExpectAsync(FrameType.Abort);
        Assert.Equal(two.RequestId, abort.RequestId);
        await harness.SendEndAsync(two.RequestId, FrameFlags.NotStarted);

        Assert.Equal(DispatchOutcome.ClientGone, await withdrawn);
        await harness.SendStartAsync(one.RequestId);
        await harness.SendEndAsync(one.RequestId);
        Assert.Equal(DispatchOutcome.Completed, await running);
    }

    [Fact]
    public async Task RetiringCallsBackTheWaitingRequestsAndSaysRetiredOnceTheLastOneEnded()
    {
        await using var harness = await ChannelHarness.StartAsync(pipelineDepth: 2);
        int retired = 0;
        harness.Channel.Retired = _ => retired++;
        Task<DispatchOutcome> running = harness.RunAsync(new RecordingExchange());
        Task<DispatchOutcome> waiting = harness.RunAsync(new RecordingExchange());
        var (one, _) = await harness.ExpectAsync(FrameType.Request);
        var (two, _) = await harness.ExpectAsync(FrameType.Request);

        harness.Channel.RequestRetire();
        var (recall, _) = await harness.ExpectAsync(FrameType.Recall);
        Assert.Equal(0u, recall.RequestId);
        Assert.False(harness.Channel.IsAccepting);
        await harness.SendEndAsync(two.RequestId, FrameFlags.NotStarted);
        Assert.Equal(DispatchOutcome.NotStarted, await waiting);
        Assert.Equal(0, retired);

        await harness.SendStartAsync(one.RequestId);
        await harness.SendEndAsync(one.RequestId);
        Assert.Equal(DispatchOutcome.Completed, await running);
        Assert.Equal(1, retired);
    }

    [Fact]
    public async Task AWorkerThatSaysRetiringTakesNoNewRequestAndItsReasonIsTold()
    {
        await using var harness = await ChannelHarness.StartAsync();
        string? reason = null;
        harness.Channel.RetireAnnounced = (_, why) => reason = why;

        await harness.SendAsync(FrameType.Retiring, 0, 0, "uses 120 MiB"u8.ToArray());

        await Poll.UntilAsync(() => reason is not null);
        Assert.Equal("uses 120 MiB", reason);
        Assert.False(harness.Channel.IsAccepting);
        Assert.False(harness.Channel.TryReserve(1));
    }

    [Fact]
    public async Task AFrameForARequestNotInFlightIsAProtocolErrorThatFailsTheRunningOne()
    {
        await using var harness = await ChannelHarness.StartAsync();
        Task<DispatchOutcome> running = harness.RunAsync(new RecordingExchange());
        await harness.ExpectAsync(FrameType.Request);

        await harness.SendStartAsync(99);

        Assert.Equal(DispatchOutcome.WorkerDied, await running);
        Assert.False(harness.Channel.IsUsable);
    }

    [Fact]
    public async Task ASmallBufferedBodyGoesWithItsRequestAndALargeOneIsPulledAtTheWorkersPace()
    {
        await using var harness = await ChannelHarness.StartAsync();
        byte[] small = Bytes(1_000, 4), large = Bytes(200_000, 5);
        var (smallBody, _) = await RequestBody.ReadAsync(new FakeExchange("POST /", small), null, harness.Budget);
        var (largeBody, _) = await RequestBody.ReadAsync(new FakeExchange("POST /", large, chunked: true), null, harness.Budget);

        Task<DispatchOutcome> first = harness.RunAsync(new RecordingExchange("POST /small"), smallBody);
        var (one, environ) = await harness.ExpectAsync(FrameType.Request);
        Assert.Equal("POST /small|1000", Encoding.ASCII.GetString(environ));
        var (eager, payload) = await harness.ExpectAsync(FrameType.Body);
        Assert.Equal(FrameFlags.BodyEnd, eager.Flags);
        Assert.Equal(small, payload);
        await harness.SendStartAsync(one.RequestId);
        await harness.SendEndAsync(one.RequestId);
        await first;

        Task<DispatchOutcome> second = harness.RunAsync(new RecordingExchange("POST /large"), largeBody);
        var (two, _) = await harness.ExpectAsync(FrameType.Request);
        var received = new List<byte>();
        while (true)
        {
            await harness.SendAsync(FrameType.BodyPull, two.RequestId, 0, BitConverter.GetBytes(65536u));
            var (body, chunk) = await harness.ExpectAsync(FrameType.Body);
            received.AddRange(chunk);
            if ((body.Flags & FrameFlags.BodyEnd) != 0)
            {
                break;
            }
        }
        Assert.Equal(large, received.ToArray());
        await harness.SendStartAsync(two.RequestId);
        await harness.SendEndAsync(two.RequestId);
        await second;
        smallBody!.Dispose();
        largeBody!.Dispose();
        // The small body went out from its own buffer (no copy): the send's lease ended, so the buffer went back.
        Assert.True(smallBody.MemoryReturned);
    }

    [Fact]
    public async Task AHeadResponseDropsTheBodyAndStillGivesTheWorkerCredit()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange("HEAD /", head: true);

        Task<DispatchOutcome> run = harness.RunAsync(exchange);
        var (request, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(request.RequestId);
        await harness.SendBodyAsync(request.RequestId, Bytes(FrameLimits.ResponseWindow, 6));
        await harness.AwaitCreditAsync(request.RequestId, FrameLimits.ResponseWindow);
        await harness.SendEndAsync(request.RequestId);

        Assert.Equal(DispatchOutcome.Completed, await run);
        Assert.Empty(exchange.BodyBytes);
    }

    [Fact]
    public async Task MoreBodyThanTheDeclaredContentLengthIsDroppedAndLessIsAnIncompleteBody()
    {
        await using var harness = await ChannelHarness.StartAsync();
        var exchange = new RecordingExchange();
        Task<DispatchOutcome> run = harness.RunAsync(exchange);
        var (request, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(request.RequestId, "200 OK\0Content-Length\05");
        await harness.SendBodyAsync(request.RequestId, "HelloWorld"u8.ToArray());
        await harness.SendEndAsync(request.RequestId);
        Assert.Equal(DispatchOutcome.Completed, await run);
        Assert.Equal("Hello", Encoding.ASCII.GetString(exchange.BodyBytes));

        Task<DispatchOutcome> shortRun = harness.RunAsync(new RecordingExchange());
        var (second, _) = await harness.ExpectAsync(FrameType.Request);
        await harness.SendStartAsync(second.RequestId, "200 OK\0Content-Length\010");
        await harness.SendBodyAsync(second.RequestId, "Hello"u8.ToArray());
        await harness.SendEndAsync(second.RequestId);
        Assert.Equal(DispatchOutcome.IncompleteBody, await shortRun);
    }

    [Fact]
    public async Task AReceiveLoopThatAlwaysFindsTheNextFrameReadyGivesItsThreadBackAfterATurn()
    {
        // Each LOG line the loop handles makes the worker end write the next one and takes 1 ms, so every read finds
        // data: the loop would never give back the thread that started it. That thread is not the pool's, as in the
        // front, where it is an epoll thread that other sockets wait for.
        const int Lines = 40;
        var lines = new ChainedLinesLogger();
        await using var harness = await ChannelHarness.StartAsync(logger: lines, serve: false);
        lines.OnLine = handled =>
        {
            if (handled < Lines)
            {
                harness.SendAsync(FrameType.Log, 0, 20, Encoding.UTF8.GetBytes($"line {handled}")).GetAwaiter().GetResult();
            }
            Thread.Sleep(1);
        };
        await harness.SendAsync(FrameType.Log, 0, 20, "line 0"u8.ToArray());

        int handledWhenTheThreadCameBack = -1;
        var epollThread = new Thread(() =>
        {
            harness.Channel.StartServing();
            handledWhenTheThreadCameBack = lines.Handled;
        });
        epollThread.Start();
        Assert.True(epollThread.Join(TimeSpan.FromSeconds(10)), "the thread that started the loop never came back");

        Assert.True(handledWhenTheThreadCameBack < Lines / 2,
            $"the loop kept the thread that started it for {handledWhenTheThreadCameBack} lines of 1 ms");
        await Poll.UntilAsync(() => lines.Handled == Lines);   // and went on elsewhere
    }

    private sealed class ChainedLinesLogger : ILogger
    {
        private int _handled;

        public Action<int>? OnLine { get; set; }

        public int Handled => Volatile.Read(ref _handled);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            OnLine?.Invoke(Interlocked.Increment(ref _handled));
    }
}

internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never became true");
            await Task.Delay(10);
        }
    }
}
