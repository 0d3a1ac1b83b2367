using System.Globalization;

namespace PyHost.Workers.Supervision;

/// <summary>A process's memory as Linux reports it in /proc.</summary>
public static class ProcessMemory
{
    /// <summary>Resident set size in MiB (VmRSS of /proc/PID/status), or null if the process is gone.</summary>
    public static long? ResidentMib(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    // "VmRSS:     123456 kB"
                    string kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kilobytes, CultureInfo.InvariantCulture) / 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
