using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>Log files as logrotate handles them: opened for appending, so copytruncate leaves no NUL bytes, and
/// opened again on SIGUSR1 after a rename, as nginx and gunicorn do.</summary>
public sealed class LogFileTests : IDisposable
{
    private const int SigUsr1 = 10;

    private readonly string directory = Ops.OpenDirectory("pyhost-logs-");

    private string ErrorLog => Path.Combine(directory, "error.log");

    private string AccessLog => Path.Combine(directory, "access.log");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task AfterCopytruncateTheNextLinesStartTheEmptiedFiles()
    {
        var port = Ops.FreePort();
        await using var pyhost = await StartAsync(port);
        for (var n = 0; n < 5; n++)
        {
            (await Ops.GetAsync(port, $"/print?marker=before{n}")).AssertStatus(200);
        }
        await WaitForAsync(AccessLog, "/print?marker=before4");

        // logrotate's copytruncate: the file keeps its inode and is cut to nothing under the writer.
        File.WriteAllBytes(ErrorLog, []);
        File.WriteAllBytes(AccessLog, []);
        (await Ops.GetAsync(port, "/print?marker=after")).AssertStatus(200);
        await WaitForAsync(AccessLog, "/print?marker=after");
        await WaitForAsync(ErrorLog, "app-stdout-after");

        foreach (var log in new[] { ErrorLog, AccessLog })
        {
            var bytes = File.ReadAllBytes(log);
            Assert.True(Array.IndexOf(bytes, (byte)0) < 0, $"{Path.GetFileName(log)} has NUL bytes where the cut text was ({bytes.Length} bytes).");
        }
    }

    [Fact]
    public async Task Usr1ReopensTheErrorLogAndTheAccessLogAfterARename()
    {
        var port = Ops.FreePort();
        await using var pyhost = await StartAsync(port);
        (await Ops.GetAsync(port, "/print?marker=old")).AssertStatus(200);
        await WaitForAsync(AccessLog, "/print?marker=old");

        File.Move(ErrorLog, ErrorLog + ".1");
        File.Move(AccessLog, AccessLog + ".1");
        Posix.SendSignal(pyhost.Id, SigUsr1);
        await WaitForAsync(ErrorLog, "SIGUSR1: log files reopened");
        (await Ops.GetAsync(port, "/print?marker=new")).AssertStatus(200);

        await WaitForAsync(AccessLog, "/print?marker=new");
        await WaitForAsync(ErrorLog, "app-stdout-new");   // the workers' output follows: it goes through the front
        Assert.False(pyhost.HasExited, $"pyhost exited on SIGUSR1.\n{pyhost.Describe()}");
        Assert.DoesNotContain("marker=new", File.ReadAllText(AccessLog + ".1"));
        Assert.DoesNotContain("app-stdout-new", File.ReadAllText(ErrorLog + ".1"));
    }

    private async Task<TestProcess> StartAsync(int port)
    {
        var pyhost = TestProcess.Start(Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "1", "--error-logfile", ErrorLog, "--access-logfile", AccessLog));
        try
        {
            (await Ops.GetWhenServingAsync(port, "/ready", TimeSpan.FromSeconds(20))).AssertStatus(200);
            await WaitForAsync(ErrorLog, "Listening on");
            return pyhost;
        }
        catch
        {
            await pyhost.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitForAsync(string log, string text)
    {
        bool Contains() => File.Exists(log) && File.ReadAllText(log).Contains(text, StringComparison.Ordinal);
        Assert.True(await Eventually.HoldsAsync(Contains, TimeSpan.FromSeconds(10)),
            $"'{text}' never appeared in {log}:\n{(File.Exists(log) ? File.ReadAllText(log) : "(no such file)")}");
    }
}
