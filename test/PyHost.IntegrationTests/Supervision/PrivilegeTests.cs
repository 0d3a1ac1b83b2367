using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>--user: started as root, the front stays root (it keeps its privileged ports) while the workers run the
/// app as the given user, each in a process group of its own.</summary>
public sealed class PrivilegeTests(ITestOutputHelper output)
{
    [RootFact]
    public async Task WorkersRunAsNobodyWhileTheFrontStaysRoot()
    {
        var nobody = UserId("nobody");
        await using var site = await SupervisedServer.StartAsync(output, ["-w", "2", "--user", "nobody"]);

        var answer = await site.GetAsync();

        Assert.Equal(nobody, answer.Uid);
        Assert.Equal(2, site.Workers.Count);
        foreach (var worker in site.Workers)
        {
            Assert.Equal([nobody, nobody, nobody, nobody], ProcStatus.Ids(worker, "Uid"));
            Assert.Equal(worker, ProcStatus.ProcessGroup(worker));
        }
        Assert.Equal([0, 0, 0, 0], ProcStatus.Ids(site.Pid, "Uid"));
        Assert.NotEqual(ProcStatus.ProcessGroup(site.Pid), ProcStatus.ProcessGroup(answer.Pid));
    }

    /// <summary>The user's id from /etc/passwd (65534 for nobody on Debian).</summary>
    private static int UserId(string user) =>
        File.ReadLines("/etc/passwd").Select(line => line.Split(':')).Where(fields => fields[0] == user).Select(fields => int.Parse(fields[2])).Single();
}

/// <summary>The few fields of /proc/PID/status and /proc/PID/stat the privilege test reads.</summary>
public static class ProcStatus
{
    /// <summary>"Uid:" or "Gid:": real, effective, saved and filesystem ids.</summary>
    public static int[] Ids(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status")
            .Where(line => line.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(line => line[(field.Length + 1)..].Split('\t', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())
            .Single();

    /// <summary>The process group: the fifth field of /proc/PID/stat, counted from after "(comm)".</summary>
    public static int ProcessGroup(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2]);
    }
}
