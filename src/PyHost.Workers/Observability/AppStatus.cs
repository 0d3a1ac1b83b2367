namespace PyHost.Workers.Observability;

/// <summary>One worker process as <c>GET /status</c>, the dashboard and <c>pyhost top</c> show it.</summary>
public sealed record WorkerStatus
{
    public required int Id { get; init; }

    public int? Pid { get; init; }

    /// <summary>"worker", or "zygote" for a --preload fork server (it serves no request).</summary>
    public required string Kind { get; init; }

    /// <summary>"booting", "idle", "busy" or "retiring".</summary>
    public required string State { get; init; }

    public required int Generation { get; init; }

    /// <summary>The longest-running request, as "GET /path"; null when idle.</summary>
    public string? CurrentRequest { get; init; }

    /// <summary>How long <see cref="CurrentRequest"/> has run.</summary>
    public double? ElapsedSeconds { get; init; }

    /// <summary>Request slots (--threads) and how many of them run a request now.</summary>
    public required int Threads { get; init; }

    public required int BusyThreads { get; init; }

    /// <summary>Requests waiting in the worker behind the running one (pipelining).</summary>
    public required int Pipelined { get; init; }

    public required long RequestsServed { get; init; }

    public long? MemoryRssBytes { get; init; }

    public required double UptimeSeconds { get; init; }

    /// <summary>Why it is retiring, or due for replacement.</summary>
    public string? Reason { get; init; }
}

/// <summary>The requests not yet running: waiting in the front's queue, and pipelined behind a busy worker's.</summary>
public sealed record QueueStatus(int Waiting, int Pipelined, int Limit);

/// <summary>The last worker that left other than on request (timeout, crash, recycling, reload).</summary>
public sealed record RestartRecord(DateTimeOffset Time, int Worker, string Reason, string Detail);

/// <summary>What the dashboard and <c>pyhost top</c> chart for an app: totals, and over the last seconds the request
/// rate and latency percentiles (measured by the front).</summary>
public sealed record RequestSummary(long Total, IReadOnlyDictionary<string, long> ByStatus, double PerSecond,
    double? P50Milliseconds, double? P90Milliseconds, double? P99Milliseconds, int WindowSeconds);

/// <summary>One app's worker pool, as the arbiter sees it now.</summary>
public sealed record AppStatus
{
    public required string Name { get; init; }

    /// <summary>What the workers load: MODULE:ATTR.</summary>
    public required string Module { get; init; }

    public required int TargetWorkers { get; init; }

    public required int WorkersMin { get; init; }

    public required int WorkersMax { get; init; }

    public required int Generation { get; init; }

    public required bool Reloading { get; init; }

    public required IReadOnlyList<WorkerStatus> Workers { get; init; }

    public required QueueStatus Queue { get; init; }

    /// <summary>Workers replaced so far, by reason: timeout, crash, max_requests, memory, reload.</summary>
    public required IReadOnlyDictionary<string, long> Restarts { get; init; }

    public RestartRecord? LastRestart { get; init; }

    /// <summary>The front's view of the app's requests; filled in by the admin API.</summary>
    public RequestSummary? Requests { get; init; }
}
