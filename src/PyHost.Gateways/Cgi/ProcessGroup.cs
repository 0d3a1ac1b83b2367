using System.Runtime.InteropServices;

namespace PyHost.Gateways.Cgi;

/// <summary>POSIX calls .NET's Process lacks: signalling a whole process group, and access(2).</summary>
internal static partial class ProcessGroup
{
    private const int SigKill = 9;
    private const int ExecutableMode = 1;   // X_OK

    /// <summary>
    /// The program that starts each script in a session and process group of its own (util-linux, Essential in
    /// Debian). It calls setsid(2) and then execs the script in place, so the script's pid is its group's id, and
    /// a timeout kills whatever the script started too.
    /// </summary>
    public const string Setsid = "/usr/bin/setsid";

    /// <summary>Kills the group led by <paramref name="pid"/>; the process alone if it has not become a group
    /// leader yet.</summary>
    public static void Kill(int pid)
    {
        if (pid <= 0)
        {
            return;
        }
        if (KillNative(-pid, SigKill) != 0)
        {
            KillNative(pid, SigKill);
        }
    }

    public static bool IsExecutable(string path) => AccessNative(path, ExecutableMode) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int AccessNative(string path, int mode);
}
