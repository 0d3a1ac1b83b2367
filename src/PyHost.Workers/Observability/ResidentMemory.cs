namespace PyHost.Workers.Observability;

/// <summary>A process's resident set size from /proc/PID/statm (its second field, in pages): one small read, no parsing
/// of /proc/PID/status.</summary>
public static class ResidentMemory
{
    private static readonly long PageSize = Environment.SystemPageSize;

    public static long? Of(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }
        try
        {
            string statm = File.ReadAllText($"/proc/{pid}/statm");
            string[] fields = statm.Split(' ', 3);
            return fields.Length >= 2 && long.TryParse(fields[1], out long pages) ? pages * PageSize : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;   // it exited in between
        }
    }
}
