using System.Diagnostics;
using System.Security.Cryptography;
using PyHost.Workers.Channel;
using PyHost.Workers.Posix;

namespace PyHost.Workers.Supervision;

public enum WorkerState
{
    Booting,
    Ready,
    Exited,
}

/// <summary>One Python worker process as the arbiter sees it. Only the arbiter's loop changes it.</summary>
public sealed class WorkerProcess
{
    public WorkerProcess(int id, int generation, Process? process, long startedAt, long requestLimit)
    {
        Id = id;
        Generation = generation;
        Process = process;
        StartedAt = startedAt;
        RequestLimit = requestLimit;
    }

    /// <summary>Unique for the server's life, like gunicorn's worker age: "worker 7" is never another process.</summary>
    public int Id { get; }

    /// <summary>The code generation it runs: each reload starts a new one.</summary>
    public int Generation { get; }

    /// <summary>The secret this worker must present in its HELLO; anything else on the socket is refused.</summary>
    public string Token { get; } = NewToken();

    private static string NewToken()
    {
        Span<byte> secret = stackalloc byte[16];
        LibC.FillRandom(secret);
        return Convert.ToHexString(secret);
    }

    /// <summary>The process we started; null for a worker a zygote forked (its exit comes as CHILD_EXITED).</summary>
    public Process? Process { get; }

    /// <summary>A --preload fork server: it imports the app and forks workers, and serves no request itself.</summary>
    public bool IsZygote { get; init; }

    /// <summary>For a forked worker, the zygote it came from.</summary>
    public WorkerProcess? Zygote { get; init; }

    public int Pid { get; set; }

    public long StartedAt { get; }

    /// <summary>--max-requests plus its jitter: past this many requests the worker is replaced. 0 = never.</summary>
    public long RequestLimit { get; }

    public WorkerState State { get; set; } = WorkerState.Booting;

    /// <summary>What its READY said it serves: "wsgi" or "asgi" (and for ASGI, the event loop), for the boot log.</summary>
    public string Interface { get; set; } = "wsgi";

    /// <summary>An ASGI worker: one channel, many requests at once, each with a timeout of its own.</summary>
    public bool IsAsgi => Interface.StartsWith("asgi", StringComparison.Ordinal);

    /// <summary>Its open WebSockets were closed (1012) when its graceful time ran out.</summary>
    public bool WebSocketsClosed { get; set; }

    /// <summary>One channel per request slot (--threads); the first arrives with READY.</summary>
    public List<WorkerChannel> Channels { get; } = new();

    /// <summary>Asked to stop taking requests; it exits once its channels are closed.</summary>
    public bool Retiring { get; set; }

    /// <summary>Due for replacement (recycling): it keeps serving until a fresh worker is ready to take over.</summary>
    public string? ReplaceReason { get; set; }

    /// <summary>The handshake ended (ready, failed, or the channel closed).</summary>
    public bool HandshakeFinished { get; set; }

    /// <summary>The exit status, once the process exited.</summary>
    public int? ExitCode { get; set; }

    /// <summary>
    /// For a worker that exited while booting: when to stop waiting for its handshake's end (its BOOT_FAILED may
    /// still be unread on the socket when the exit is seen) and judge the failure without it.
    /// </summary>
    public long? BootVerdictAt { get; set; }

    /// <summary>When set, the arbiter sends SIGTERM, then SIGKILL, as these deadlines (TickCount64) pass.</summary>
    public long? TerminateAt { get; set; }

    public long? KillAt { get; set; }

    /// <summary>Reads its stacks on demand; set at READY when the worker has a stack file.</summary>
    public StackDump? StackDump { get; set; }

    /// <summary>Why it leaves, once it was told to (or timed out): counted when it exits.</summary>
    public Observability.RetireCause? RetireCause { get; set; }

    public string? RetireReason { get; set; }

    public string Name => (AppName is null ? "" : AppName + " ") + (IsZygote ? "zygote" : "worker") + (Pid == 0 ? $" {Id}" : $" {Id} (pid {Pid})");

    /// <summary>The app it serves, in a configuration with several; null for the command line's one app.</summary>
    public string? AppName { get; init; }

    /// <summary>Ready, not retiring and not due for replacement: it counts toward the wanted number of workers.</summary>
    public bool IsServing(int generation) =>
        !IsZygote && State != WorkerState.Exited && !Retiring && ReplaceReason is null && Generation == generation;

    public bool TokenMatches(string token) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(token), System.Text.Encoding.ASCII.GetBytes(Token));
}
