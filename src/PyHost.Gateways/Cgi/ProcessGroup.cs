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

    /// <summary>util-linux's setpriv: sets the script's user and groups, then execs it.</summary>
    public const string Setpriv = "/usr/bin/setpriv";

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>
    /// The arguments that make setpriv run a script as <paramref name="user"/> and <paramref name="group"/> (names or
    /// numbers): the user's primary group unless a group is given, and its supplementary groups (initgroups(3)).
    /// </summary>
    public static IReadOnlyList<string> SetprivArguments(string? user, string? group)
    {
        var arguments = new List<string>();
        if (user is not null)
        {
            arguments.Add($"--reuid={user}");
            arguments.Add($"--regid={group ?? PrimaryGroupOf(user)}");
            arguments.Add("--init-groups");
        }
        else if (group is not null)
        {
            arguments.Add($"--regid={group}");
            arguments.Add("--clear-groups");
        }
        return arguments;
    }

    /// <summary>The primary group id of a user (getpwnam(3)); the user itself when unknown, so setpriv names it.</summary>
    private static string PrimaryGroupOf(string user)
    {
        nint entry = uint.TryParse(user, out uint uid) ? GetPasswordEntryById(uid) : GetPasswordEntry(user);
        // struct passwd on Linux (glibc and musl, 64-bit): pw_name, pw_passwd, then pw_uid and pw_gid (uint32).
        return entry == 0 ? user : ((uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size + sizeof(uint))).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetPasswordEntry(string name);

    [LibraryImport("libc", EntryPoint = "getpwuid")]
    private static partial nint GetPasswordEntryById(uint uid);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int AccessNative(string path, int mode);
}
