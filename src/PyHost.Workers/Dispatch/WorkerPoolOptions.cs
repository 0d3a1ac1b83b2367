using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Dispatch;

public sealed record WorkerPoolOptions
{
    /// <summary>How many requests may wait for a worker; beyond it they get QueueFull (503).</summary>
    public int MaxQueued { get; init; } = 2048;

    /// <summary>
    /// Pipelining queues a request behind a running one only if that one started less than this long ago: a request
    /// that has run longer may be a slow one, and nothing should wait behind it (issue 13: the 1 ms rule).
    /// </summary>
    public TimeSpan PipelineMaxAge { get; init; } = TimeSpan.FromMilliseconds(1);

    public required BufferBudget Buffers { get; init; }

    /// <summary>The app's name in metrics: [app.NAME], "main" for the command line's app.</summary>
    public string AppName { get; init; } = "main";
}
