using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Operations;

/// <summary>
/// --log-level filters PyHost's own messages only: what the app writes always reaches the error log (stderr lines at
/// ERROR, stdout lines at INFO), and 500s, worker deaths and a timed-out worker's stack are errors. With the journal
/// as stderr, every line carries its sd-daemon priority.
/// </summary>
public sealed class ErrorLogTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LogDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AppErrorsDeathsAndTimeoutStacksPassLogLevelWarningAndSoDoesAppOutput()
    {
        var port = Ops.FreePort();
        await using var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "-t", "2", "--log-level", "warning"));
        (await Ops.GetWhenServingAsync(port, "/ready", TimeSpan.FromSeconds(20))).AssertStatus(200);

        (await Ops.GetAsync(port, "/error?marker=M500")).AssertStatus(500);
        await pyhost.WaitForOutputAsync(new Regex(@"\[ERROR\] \[worker \d+ \(pid \d+\)\] Error handling request GET /error"), LogDeadline);
        await pyhost.WaitForOutputAsync(new Regex(@"\[ERROR\] \[worker \d+ \(pid \d+\)\] RuntimeError: deliberate failure M500"), LogDeadline);

        (await Ops.GetAsync(port, "/print?marker=Mout")).AssertStatus(200);
        await pyhost.WaitForOutputAsync(new Regex(@"\[INFO\] \[worker \d+ \(pid \d+\)\] app-stdout-Mout$"), LogDeadline);

        (await Ops.GetAsync(port, "/crash")).AssertStatus(502);
        await pyhost.WaitForOutputAsync(new Regex(@"\[ERROR\] worker \d+ \(pid \d+\) died: it exited with status 1 while serving"), LogDeadline);
        (await Ops.GetWhenServingAsync(port, "/after-crash", TimeSpan.FromSeconds(20))).AssertStatus(200);

        var beforeTimeout = pyhost.LineCount;
        (await Ops.GetAsync(port, "/sleep?seconds=30")).AssertStatus(504);
        var timedOut = await pyhost.WaitForOutputAsync(new Regex(@"\[ERROR\] worker \d+ \(pid (?<pid>\d+)\) timed out after"), LogDeadline, beforeTimeout);
        // faulthandler's dump of the hung worker, through its stderr: it names where the app hangs.
        await pyhost.WaitForOutputAsync(
            new Regex($@"\[ERROR\] \[worker \d+ \(pid {timedOut.Groups["pid"].Value}\)\] +File "".*operations\.py"", line \d+ in app"), LogDeadline, beforeTimeout);

        Assert.DoesNotContain("[INFO] Booted", pyhost.Output);   // PyHost's own INFO lines are filtered
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WithTheJournalAsStderrEveryLineCarriesItsPriority(bool stderrIsTheJournal)
    {
        var directory = Ops.OpenDirectory("pyhost-journal-");
        try
        {
            var log = Path.Combine(directory, "stderr.log");
            File.WriteAllText(log, "");
            // systemd sets JOURNAL_STREAM to stderr's device:inode; a value that does not match means stderr was
            // redirected since (e.g. by a wrapper script), and plain lines are right then.
            var (_, identity, _) = await Ops.RunAsync("/usr/bin/stat", ["-L", "-c", "%d:%i", log]);
            var journalStream = stderrIsTheJournal ? identity.Trim() : "1:1";
            var port = Ops.FreePort();
            List<string> serve = Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1");
            await using var pyhost = TestProcess.Start("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>>\"$JOURNAL_FILE\"", Repository.PyHostExecutable, .. serve],
                Repository.AppsDirectory, new Dictionary<string, string?> { ["JOURNAL_STREAM"] = journalStream, ["JOURNAL_FILE"] = log });
            (await Ops.GetWhenServingAsync(port, "/ready", TimeSpan.FromSeconds(20))).AssertStatus(200);

            (await Ops.GetAsync(port, "/error?marker=J1")).AssertStatus(500);
            Assert.True(await Eventually.HoldsAsync(() => File.ReadAllText(log).Contains("deliberate failure J1"), LogDeadline), File.ReadAllText(log));

            string[] lines = File.ReadAllLines(log);
            if (stderrIsTheJournal)
            {
                Assert.Contains($"<6>Listening on http://127.0.0.1:{port}", lines);
                Assert.Contains(lines, line => Regex.IsMatch(line, @"^<3>\[worker \d+ \(pid \d+\)\] Traceback \(most recent call last\):$"));
                Assert.Contains(lines, line => Regex.IsMatch(line, @"^<3>\[worker \d+ \(pid \d+\)\] RuntimeError: deliberate failure J1$"));
                Assert.All(lines.Where(line => line.Length > 0), line => Assert.Matches(@"^<[0-7]>", line));
                Assert.DoesNotContain(lines, line => line.StartsWith("[20", StringComparison.Ordinal));   // journald adds the time
            }
            else
            {
                Assert.Contains(lines, line => Regex.IsMatch(line, $@"^\[20\d\d-\d\d-\d\d [\d:]+ [+-]\d{{4}}\] \[\d+\] \[INFO\] Listening on http://127\.0\.0\.1:{port}$"));
                Assert.DoesNotContain(lines, line => line.StartsWith('<'));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Issue 9, point 8: a line without a newline cannot make the front hold it whole (64 MiB cost the front
    /// 117 MiB): it is passed on in pieces of at most 16 KiB, and the front's peak memory barely moves.</summary>
    [Fact]
    public async Task AVeryLongLineIsCutIntoPiecesAndCostsTheFrontLittleMemory()
    {
        const int LineMib = 96;
        const int PieceBytes = 16 * 1024;
        var directory = Ops.OpenDirectory("pyhost-long-line-");
        try
        {
            var log = Path.Combine(directory, "error.log");
            var port = Ops.FreePort();
            await using var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "--error-logfile", log));
            (await Ops.GetWhenServingAsync(port, "/ready", TimeSpan.FromSeconds(20))).AssertStatus(200);
            for (var warmUp = 0; warmUp < 20; warmUp++)
            {
                (await Ops.GetAsync(port, "/print?marker=warm")).AssertStatus(200);
            }
            var peakBefore = Posix.StatusKilobytes(pyhost.Id, "VmHWM")!.Value;

            (await Ops.GetAsync(port, $"/long-line?mib={LineMib}&marker=L1")).AssertStatus(200);
            Assert.True(await Eventually.HoldsAsync(() => Tail(log).Contains("end-of-long-line-L1"), TimeSpan.FromSeconds(30)),
                "The end of the long line never reached the log.");
            var peakAfter = Posix.StatusKilobytes(pyhost.Id, "VmHWM")!.Value;

            var growthMib = (peakAfter - peakBefore) / 1024.0;
            output.WriteLine($"The front's peak memory (VmHWM) grew by {growthMib:0.0} MiB for a {LineMib} MiB line.");
            Assert.True(growthMib < LineMib / 2, $"The front's peak memory grew by {growthMib:0.0} MiB for a {LineMib} MiB line.");
            var pieces = File.ReadLines(log).Where(line => line.Contains("] xxxx")).Select(line => line[(line.IndexOf("] x", StringComparison.Ordinal) + 2)..]).ToList();
            Assert.All(pieces, piece => Assert.True(piece.Length <= PieceBytes, $"A piece of {piece.Length} bytes"));
            Assert.Equal((long)LineMib << 20, pieces.Sum(piece => (long)piece.Count(c => c == 'x')));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The last few KiB of a file, without reading all of it.</summary>
    private static string Tail(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(Math.Max(0, file.Length - 4096), SeekOrigin.Begin);
        using var reader = new StreamReader(file);
        return reader.ReadToEnd();
    }
}
