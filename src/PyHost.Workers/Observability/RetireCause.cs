namespace PyHost.Workers.Observability;

/// <summary>Why a worker leaves: the <c>reason</c> of <c>pyhost_worker_restarts_total</c> and of the status.</summary>
public enum RetireCause
{
    /// <summary>A request ran past --timeout.</summary>
    Timeout,

    /// <summary>It died while serving (killed, segfault, os._exit).</summary>
    Crash,

    /// <summary>--max-requests.</summary>
    MaxRequests,

    /// <summary>--max-worker-memory.</summary>
    Memory,

    /// <summary>A reload replaced it (SIGHUP, pyhost reload, --reload, the admin API).</summary>
    Reload,

    /// <summary>Fewer workers were wanted (scale, SIGTTOU, --idle-timeout): not replaced, so not a restart.</summary>
    ScaledDown,

    /// <summary>The server is stopping: not a restart either.</summary>
    Shutdown,
}

public static class RetireCauseNames
{
    /// <summary>The label value: snake_case, as Prometheus labels are written.</summary>
    public static string Label(this RetireCause cause) => cause switch
    {
        RetireCause.Timeout => "timeout",
        RetireCause.Crash => "crash",
        RetireCause.MaxRequests => "max_requests",
        RetireCause.Memory => "memory",
        RetireCause.Reload => "reload",
        RetireCause.ScaledDown => "scaled_down",
        _ => "shutdown",
    };

    /// <summary>Replaced by a fresh worker: a restart. Scaling down and stopping are not.</summary>
    public static bool IsRestart(this RetireCause cause) => cause is not (RetireCause.ScaledDown or RetireCause.Shutdown);
}
