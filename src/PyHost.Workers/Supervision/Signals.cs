using System.Runtime.InteropServices;

namespace PyHost.Workers.Supervision;

/// <summary>POSIX signals the arbiter sends to workers. .NET's Process.Kill only sends SIGKILL.</summary>
public static partial class Signals
{
    public const int SigKill = 9;
    public const int SigUsr1 = 10;   // the worker's faulthandler dumps every thread's stack
    public const int SigUsr2 = 12;   // ... into its stack file, for a dump on demand (StackDump)
    public const int SigTerm = 15;

    /// <summary>Signals one process. A pid of 0 or less would signal a whole process group (ours included), so it is
    /// refused: a forked worker's pid is unknown until its READY.</summary>
    internal static bool Send(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>For callers outside the arbiter: the same guard against a pid of 0 or less.</summary>
    public static bool TrySend(int pid, int signal) => Send(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
