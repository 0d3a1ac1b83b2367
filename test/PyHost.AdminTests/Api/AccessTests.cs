using System.Net.Sockets;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>Who may use the admin API: the owner of the unix socket (0600); on TCP, whoever has the bearer token.</summary>
public sealed class AccessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheControlSocketIsTheOwnersOnly()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        UnixFileMode mode = File.GetUnixFileMode(site.ControlSocket);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task TheTcpAddressWantsTheBearerTokenForEverythingButThePage()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"], adminTcp: true);
        Assert.Contains($"Admin API and dashboard: {site.AdminUrl}", site.Process.Output);
        using AdminApi anonymous = AdminApi.OverTcp(site.AdminUrl, null);
        using AdminApi wrong = AdminApi.OverTcp(site.AdminUrl, "not-the-token-at-all-0000");
        using AdminApi right = AdminApi.OverTcp(site.AdminUrl, AdminSite.Token);

        foreach (string path in (string[])["/status", "/metrics", "/errors", "/config", "/workers/1/stack"])
        {
            ApiAnswer refused = await anonymous.GetAsync(path);
            Assert.True(refused.Status == 401, $"{path} without a token: {refused}");
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal(401, (await wrong.GetAsync(path)).Status);
        }
        Assert.Equal(401, (await anonymous.SendAsync(HttpMethod.Post, "/apps/main/reload", null)).Status);
        Assert.Equal(200, (await right.GetAsync("/status")).Status);
        ApiAnswer page = await anonymous.GetAsync("/");
        Assert.Equal(200, page.Status);
        Assert.Contains("<title>PyHost</title>", page.Body);
    }

    public static TheoryData<string[], string> BadAdminFlags => new()
    {
        { ["--admin", "127.0.0.1:1"], "admin.listen: the admin address '127.0.0.1:1' has no token_file" },
        { ["--admin", "nonsense"], "--admin" },
        { ["--admin-token-file", "/nonexistent/token"], "--admin-token-file '/nonexistent/token'" },
        { ["--access-logformat", "%(nope)s"], "unknown atom %(nope)s" },
        { ["--access-logformat", "100%"], "write %% for a percent sign" },
        { ["--error-log-format", "xml"], "flag --error-log-format: error: log.error_format: \"xml\" is not one of \"text\", \"json\"" },
        { ["--otlp-endpoint", "collector:4318"], "admin.otlp_endpoint: 'collector:4318' is not an http:// or https:// URL" },
        { ["--otlp-protocol", "thrift"], "admin.otlp_protocol: \"thrift\" is not one of \"http/protobuf\", \"grpc\"" },
    };

    [Theory]
    [MemberData(nameof(BadAdminFlags))]
    public async Task BadObservabilityFlagsExitWith2AndSayWhich(string[] flags, string message)
    {
        await using TestProcess pyhost = TestProcess.Start(Repository.PyHostExecutable,
            ["serve", AdminSite.App, "--python", Repository.Python, .. flags], Repository.AppsDirectory);

        int exitCode = await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.True(exitCode == 2, pyhost.Describe());
        Assert.Contains(message, pyhost.StandardError);
        Assert.DoesNotContain("   at ", pyhost.Output);   // no .NET stack trace
    }

    [Fact]
    public async Task ATokenTooShortToGuardAnythingIsRefused()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "short\n");
            await using TestProcess pyhost = TestProcess.Start(Repository.PyHostExecutable,
                ["serve", AdminSite.App, "--python", Repository.Python, "--admin", "127.0.0.1:1", "--admin-token-file", file], Repository.AppsDirectory);
            Assert.Equal(2, await pyhost.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("at least 16 printable ASCII characters", pyhost.StandardError);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
