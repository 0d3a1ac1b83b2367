using System.Diagnostics;
using System.Security.Cryptography;
using PyHost.Workers.Channel;

namespace PyHost.Workers.Supervision;

public enum WorkerState
{
    Booting,
    Ready,
    Stopping,
    Exited,
}

/// <summary>One Python worker process as the arbiter sees it. Only the arbiter's loop changes it.</summary>
public sealed class WorkerProcess
{
    public WorkerProcess(int id, Process process, long startedAt)
    {
        Id = id;
        Process = process;
        StartedAt = startedAt;
    }

    /// <summary>The slot number, 1..N; a replacement takes the slot of the worker it replaces.</summary>
    public int Id { get; }

    /// <summary>The secret this worker must present in its HELLO; anything else on the socket is refused.</summary>
    public string Token { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public Process Process { get; }

    public int Pid { get; set; }

    public long StartedAt { get; }

    public WorkerState State { get; set; } = WorkerState.Booting;

    public WorkerChannel? Channel { get; set; }

    /// <summary>
    /// For a worker that exited while booting: when to stop waiting for its handshake's end (its BOOT_FAILED may
    /// still be unread on the socket when the exit is seen) and judge the failure without it.
    /// </summary>
    public long? BootVerdictAt { get; set; }

    /// <summary>The handshake ended (ready, failed, or the channel closed).</summary>
    public bool HandshakeFinished { get; set; }

    /// <summary>The exit status, once the process exited.</summary>
    public int? ExitCode { get; set; }

    /// <summary>When set, the arbiter sends SIGTERM, then SIGKILL, as these deadlines (TickCount64) pass.</summary>
    public long? TerminateAt { get; set; }

    public long? KillAt { get; set; }

    public string Name => Pid == 0 ? $"worker {Id}" : $"worker {Id} (pid {Pid})";

    public bool TokenMatches(string token) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(token), System.Text.Encoding.ASCII.GetBytes(Token));
}
