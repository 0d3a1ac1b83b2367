using System.Runtime.InteropServices;

namespace PyHost.Workers.Supervision;

/// <summary>POSIX signals the arbiter sends to workers. .NET's Process.Kill only sends SIGKILL.</summary>
internal static partial class Signals
{
    public const int SigKill = 9;
    public const int SigUsr1 = 10;   // the worker's faulthandler dumps every thread's stack
    public const int SigTerm = 15;

    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
