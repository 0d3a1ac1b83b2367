using System.Net.Sockets;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>A Unix socket nginx can use: 0660 by default (0755 made nginx's connect fail with EACCES, a 502),
/// --umask as gunicorn applies it to its socket, and with --group the socket belongs to that group.</summary>
public sealed class UnixSocketPermissionTests : IDisposable
{
    private readonly string directory = Ops.OpenDirectory("pyhost-unix-mode-");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Socket => Path.Combine(directory, "site.sock");

    [Theory]
    [InlineData(null, "660")]
    [InlineData("007", "660")]
    [InlineData("0o027", "640")]
    [InlineData("0", "666")]
    public async Task TheSocketsModeIs0660OrWhatTheUmaskLeaves(string? umask, string expectedMode)
    {
        List<string> serve = Ops.Serve(Ops.App, "-b", $"unix:{Socket}", "-w", "1");
        if (umask is not null)
        {
            serve.AddRange(["--umask", umask]);
        }
        await using var pyhost = await TestProcess.StartServingAsync(serve, [], Repository.AppsDirectory);
        await pyhost.WaitForOutputAsync(new Regex("Listening on http://unix:" + Regex.Escape(Socket)), TestProcess.StartTimeout);

        Assert.Equal(expectedMode, Convert.ToString((int)File.GetUnixFileMode(Socket), 8));
        (await Ops.GetAsync(new UnixDomainSocketEndPoint(Socket), "/over-unix")).AssertStatus(200);
    }

    [Fact]
    public async Task AStopRemovesTheSocketFile()
    {
        var pyhost = await TestProcess.StartServingAsync(Ops.Serve(Ops.App, "-b", $"unix:{Socket}", "-w", "1"), [], Repository.AppsDirectory);
        await using (pyhost)
        {
            await pyhost.WaitForOutputAsync(new Regex("Listening on http://unix:" + Regex.Escape(Socket)), TestProcess.StartTimeout);
            Assert.True(File.Exists(Socket));
            Assert.Equal(0, await pyhost.StopAsync(TimeSpan.FromSeconds(15)));
        }

        Assert.False(File.Exists(Socket), "The socket file outlived the server.");
    }

    [RootFact]
    public async Task WithGroupTheSocketIsTheGroupsAndAWebServerInItCanConnect()
    {
        await using var pyhost = await TestProcess.StartServingAsync(Ops.Serve(Ops.App, "-b", $"unix:{Socket}", "-w", "1", "-g", "nogroup"), [],
            Repository.AppsDirectory);
        await pyhost.WaitForOutputAsync(new Regex("Listening on http://unix:" + Regex.Escape(Socket)), TestProcess.StartTimeout);
        var (_, owner, _) = await Ops.RunAsync("/usr/bin/stat", ["-c", "%u %g %a", Socket]);

        Assert.Equal($"0 {Ops.GroupId("nogroup")} 660", owner.Trim());
        // nginx runs as a user of the socket's group: here nobody, whose group is nogroup. A user outside the group
        // (daemon) is refused by the kernel, as it should be.
        var member = await Curl("nobody", "nogroup");
        var stranger = await Curl("daemon", "daemon");
        Assert.True(member.ExitCode == 0 && member.Output.Contains("\"pid\""), $"nobody:nogroup could not use the socket:\n{member.Output}");
        Assert.True(stranger.ExitCode != 0, $"daemon:daemon could use a socket of group nogroup:\n{stranger.Output}");
    }

    private Task<(int ExitCode, string Output, string StandardError)> Curl(string user, string group) =>
        Ops.RunAsync("/usr/bin/setpriv", [$"--reuid={user}", $"--regid={group}", "--clear-groups", "--", "/usr/bin/curl", "-sS", "--max-time", "10",
            "--unix-socket", Socket, "http://site/via-curl"]);
}
