using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>-u/-g: started as root, PyHost binds its ports and then drops to that user and group itself, as nginx's
/// workers do, since the front parses requests from the internet; the workers it starts run as that user too, each
/// in a process group of its own. The privileged port keeps answering.</summary>
public sealed class PrivilegeTests(ITestOutputHelper output)
{
    [RootFact]
    public async Task TheFrontAndEveryWorkerRunAsTheUserWhileAPrivilegedPortAnswers()
    {
        var nobody = Ops.UserId("nobody");
        var nogroup = Ops.GroupId("nogroup");
        var port = Ops.FreePrivilegedPort();
        var directory = Ops.OpenDirectory("pyhost-privileges-");
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);   // the pid file is written after the drop
        try
        {
            await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "2", "-u", "nobody", "-g", "nogroup",
                "--pid", Path.Combine(directory, "site.pid")));
            output.WriteLine(pyhost.Output);

            var answer = (await Ops.GetAsync(port, "/")).AssertStatus(200).Json();

            Assert.Equal(nobody, answer.GetProperty("uid").GetInt32());
            Assert.Equal(pyhost.Id, answer.GetProperty("ppid").GetInt32());
            Assert.Equal([nobody, nobody, nobody, nobody], ProcStatus.Ids(pyhost.Id, "Uid"));
            Assert.Equal([nogroup, nogroup, nogroup, nogroup], ProcStatus.Ids(pyhost.Id, "Gid"));
            var workers = Posix.Descendants(pyhost.Id);
            Assert.Equal(2, workers.Count);
            foreach (var worker in workers)
            {
                Assert.Equal([nobody, nobody, nobody, nobody], ProcStatus.Ids(worker, "Uid"));
                Assert.Equal([nogroup, nogroup, nogroup, nogroup], ProcStatus.Ids(worker, "Gid"));
                Assert.Equal(worker, ProcStatus.ProcessGroup(worker));
            }
            Assert.NotEqual(ProcStatus.ProcessGroup(pyhost.Id), ProcStatus.ProcessGroup(workers[0]));
            // Still serving after the workers have been replaced by the unprivileged front.
            Posix.SendSignal(pyhost.Id, Signals.SigHup);
            await pyhost.WaitForOutputAsync(new System.Text.RegularExpressions.Regex("Reloaded: 2 workers"), TimeSpan.FromSeconds(30));
            Assert.Equal(nobody, (await Ops.GetAsync(port, "/")).AssertStatus(200).Json().GetProperty("uid").GetInt32());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
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
