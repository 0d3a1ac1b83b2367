using System.Runtime.InteropServices;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>The little of POSIX the tests need: sending a signal, and reading the process table in /proc.</summary>
public static class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigHup = 1;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Process.Kill sends SIGKILL; a graceful stop needs SIGTERM.</summary>
    public static void SendSignal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>True while the process exists and is not a zombie (a dead orphan waiting for a reaper counts as gone).</summary>
    public static bool IsAlive(int pid) => ReadStat(pid) is { } stat && stat.State != 'Z';

    /// <summary>Every live descendant of <paramref name="pid"/>, found through the parent ids in /proc/*/stat.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var childrenOf = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var candidate) && ReadStat(candidate) is { State: not 'Z' } stat)
            {
                if (!childrenOf.TryGetValue(stat.ParentId, out var children))
                {
                    childrenOf[stat.ParentId] = children = [];
                }
                children.Add(candidate);
            }
        }
        var found = new List<int>();
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var parent))
        {
            foreach (var child in childrenOf.GetValueOrDefault(parent) ?? [])
            {
                found.Add(child);
                pending.Push(child);
            }
        }
        return found;
    }

    /// <summary>A field of /proc/PID/smaps_rollup in kB (Pss, Rss), or null when the process is gone.</summary>
    public static long? SmapsRollupKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>A field of /proc/PID/status in kB (VmRSS, VmHWM), or null when the process is gone.</summary>
    public static long? StatusKilobytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private readonly record struct Stat(char State, int ParentId);

    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse from the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(fields[0][0], int.Parse(fields[1]));
    }
}
