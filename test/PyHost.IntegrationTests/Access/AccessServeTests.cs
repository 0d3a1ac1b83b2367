using System.Diagnostics;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Access;

/// <summary>
/// Access rules and health endpoints of `pyhost serve` from its pyhost.toml: basic auth against a file Debian's
/// htpasswd wrote (401, then the page), deny (403), a rate limit (429 with Retry-After), all rebuilt by a reload;
/// the htpasswd file read again when htpasswd or an editor changes it, without a reload;
/// /_pyhost/live and /ready on a loopback listener and not on one that turns them off; readiness 503 while draining.
/// </summary>
public sealed class AccessServeTests(ITestOutputHelper output)
{
    private static string Htpasswd(string directory, string user, string password)
    {
        string path = Path.Combine(directory, "staff.htpasswd");
        RunHtpasswd("-cbB", path, user, password);
        return path;
    }

    /// <summary>Debian's htpasswd (apache2-utils) with these arguments.</summary>
    private static void RunHtpasswd(params string[] arguments)
    {
        var start = new ProcessStartInfo("htpasswd") { RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"htpasswd {string.Join(' ', arguments)}: {error}");
    }

    private static string Config(string htpasswd, string rootRules) => $$"""
        [[listen]]
        address = "127.0.0.1:{port0}"

        [[site]]
          [[site.route]]
          path = "/staff"
          respond = { status = 200, body = "staff only\n" }
          basic_auth = { htpasswd = "{{htpasswd}}", realm = "Staff" }

          [[site.route]]
          path = "/closed"
          respond = { status = 200, body = "nobody\n" }
          deny = ["127.0.0.0/8", "::1"]

          [[site.route]]
          path = "/limited"
          respond = { status = 200, body = "limited\n" }
          rate_limit = { rate = "1r/m", burst = 1, nodelay = true }

          [[site.route]]
          respond = { status = 200, body = "open\n" }
          {{rootRules}}
        """;

    [Fact]
    public async Task BasicAuthDenyAndRateLimitAnswerAndAReloadRebuildsThem()
    {
        string passwords = Directory.CreateTempSubdirectory("pyhost-htpasswd-").FullName;
        try
        {
            string file = Htpasswd(passwords, "alice", "wonder land");
            await using var server = await ConfiguredServer.StartAsync(output, Config(file, ""), 1, "--pid", "site.pid");

            RawHttpResponse challenge = (await server.RequestAsync("site.test", "/staff/page")).AssertStatus(401);
            Assert.Equal("Basic realm=\"Staff\", charset=\"UTF-8\"", challenge.Header("WWW-Authenticate"));
            (await RequestAsync(server, "/staff/page", "alice", "not-it-7")).AssertStatus(401);
            Assert.Equal("staff only\n", (await RequestAsync(server, "/staff/page", "alice", "wonder land")).AssertStatus(200).BodyText);
            Assert.Contains("Basic auth failed for user 'alice' from 127.0.0.1 on /staff/page", server.Process.Output);
            Assert.DoesNotContain("not-it-7", server.Process.Output);   // a failed attempt is logged without its password

            (await server.RequestAsync("site.test", "/closed")).AssertStatus(403);

            // 1r/m with a burst of 1: two requests pass, the third waits about a minute.
            (await server.RequestAsync("site.test", "/limited")).AssertStatus(200);
            (await server.RequestAsync("site.test", "/limited")).AssertStatus(200);
            RawHttpResponse limited = (await server.RequestAsync("site.test", "/limited")).AssertStatus(429);
            Assert.InRange(int.Parse(limited.Header("Retry-After")!), 1, 60);

            Assert.Equal("open\n", (await server.RequestAsync("site.test", "/")).AssertStatus(200).BodyText);

            // The reload puts "/" behind the password file too, and lets everyone into /closed.
            server.WriteConfig(Config(file, $"basic_auth = {{ htpasswd = \"{file}\" }}").Replace("deny = [\"127.0.0.0/8\", \"::1\"]", ""));
            var (exit, answer) = await server.ReloadAsync();
            Assert.True(exit == 0, answer);
            (await server.RequestAsync("site.test", "/")).AssertStatus(401);
            Assert.Equal("open\n", (await RequestAsync(server, "/", "alice", "wonder land")).AssertStatus(200).BodyText);
            (await server.RequestAsync("site.test", "/closed")).AssertStatus(200);
        }
        finally
        {
            Directory.Delete(passwords, recursive: true);
        }
    }

    [Fact]
    public async Task AChangedHtpasswdFileIsReadAgainWithoutAReload()
    {
        string passwords = Directory.CreateTempSubdirectory("pyhost-htpasswd-").FullName;
        try
        {
            string file = Htpasswd(passwords, "alice", "first one");
            await using var server = await ConfiguredServer.StartAsync(output, Config(file, ""), 1, "--pid", "site.pid");
            (await RequestAsync(server, "/staff/page", "alice", "first one")).AssertStatus(200);   // and remembered as good
            (await RequestAsync(server, "/staff/page", "bob", "builder")).AssertStatus(401);

            // htpasswd rewrites the file where it is (it opens it with O_TRUNC and copies its temporary file in). No
            // SIGHUP, no `pyhost reload`: the server sees the change by itself. First a new password alone, which
            // leaves the file as long as it was (a bcrypt hash is always 60 characters), then a new user.
            long length = new FileInfo(file).Length;
            RunHtpasswd("-bB", file, "alice", "second one");
            Assert.Equal(length, new FileInfo(file).Length);
            Assert.True(await Eventually.HoldsAsync(async () =>
                (await RequestAsync(server, "/staff/page", "alice", "second one")).StatusCode == 200, TimeSpan.FromSeconds(30)), server.Process.Output);
            (await RequestAsync(server, "/staff/page", "alice", "first one")).AssertStatus(401);
            RunHtpasswd("-bB", file, "bob", "builder");
            Assert.True(await Eventually.HoldsAsync(async () =>
                (await RequestAsync(server, "/staff/page", "bob", "builder")).StatusCode == 200, TimeSpan.FromSeconds(30)), server.Process.Output);

            // An editor's way: the new file is written beside the old one and renamed over it (a new inode).
            string edited = file + ".new";
            File.Copy(file, edited);
            RunHtpasswd("-D", edited, "bob");
            RunHtpasswd("-bB", edited, "alice", "third one");
            File.Move(edited, file, overwrite: true);
            Assert.True(await Eventually.HoldsAsync(async () =>
                (await RequestAsync(server, "/staff/page", "alice", "third one")).StatusCode == 200, TimeSpan.FromSeconds(30)), server.Process.Output);
            (await RequestAsync(server, "/staff/page", "bob", "builder")).AssertStatus(401);
            (await RequestAsync(server, "/staff/page", "alice", "second one")).AssertStatus(401);

            await server.Process.WaitForOutputAsync(new Regex(Regex.Escape($"Basic auth: re-read {file} (2 users)")), TimeSpan.FromSeconds(10));
            Assert.DoesNotContain("Reload: ", server.Process.Output);
        }
        finally
        {
            Directory.Delete(passwords, recursive: true);
        }
    }

    [Fact]
    public async Task AnHtpasswdFileWithAPlainTextPasswordStopsTheStartNamingItsLine()
    {
        string passwords = Directory.CreateTempSubdirectory("pyhost-htpasswd-").FullName;
        try
        {
            string file = Path.Combine(passwords, "plain.htpasswd");
            File.WriteAllText(file, "alice:secret\n");
            string directory = Directory.CreateTempSubdirectory("pyhost-config-").FullName;
            File.WriteAllText(Path.Combine(directory, "pyhost.toml"), Config(file, "").Replace("{port0}", PyHostServer.FreePort(System.Net.IPAddress.Loopback).ToString()));
            await using TestProcess serve = TestProcess.Start(Repository.PyHostExecutable, ["serve"], directory, ConfiguredServer.DebianPython);
            Assert.NotEqual(0, await serve.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains($"{file}:1: user 'alice': the password is plain text", serve.Output);
            Assert.DoesNotContain("   at ", serve.Output);   // one line, no stack trace
            Directory.Delete(directory, recursive: true);
        }
        finally
        {
            Directory.Delete(passwords, recursive: true);
        }
    }

    [Fact]
    public async Task HealthEndpointsAnswerOnLoopbackNotWhereTurnedOffAndReadinessFailsWhileDraining()
    {
        await using var server = await ConfiguredServer.StartAsync(output, """
            [server]
            drain_delay = "4s"

            [[listen]]
            address = "127.0.0.1:{port0}"

            [[listen]]
            address = "127.0.0.1:{port1}"
            health_endpoints = false

            [[site]]
              [[site.route]]
              app = "main"

            [app.main]
            module = "named:app"
            env = { APP_NAME = "main" }
            workers = 1
            """, ports: 2);

        Assert.Equal("live\n", (await server.RequestAsync("site.test", "/_pyhost/live")).AssertStatus(200).BodyText);
        RawHttpResponse ready = (await server.RequestAsync("site.test", "/_pyhost/ready")).AssertStatus(200);
        Assert.Equal("ready\napp 'main': 1 ready worker\n", ready.BodyText);
        Assert.Equal("no-store", ready.Header("Cache-Control"));
        (await server.RequestAsync("site.test", "/_pyhost/live", "POST")).AssertStatus(405);
        // Where they are off, the path is the site's like any other: the app answers it.
        Assert.Equal("/_pyhost/ready", (await server.AppAsync("site.test", "/_pyhost/ready", port: server.Ports[1])).GetProperty("path_info").GetString());

        server.Process.Terminate();
        Assert.True(await Eventually.HoldsAsync(async () => (await server.RequestAsync("site.test", "/_pyhost/ready")).StatusCode == 503, TimeSpan.FromSeconds(3)));
        RawHttpResponse draining = await server.RequestAsync("site.test", "/_pyhost/ready");
        Assert.StartsWith("not ready\ndraining: shutting down, not taking new work\n", draining.BodyText);
        Assert.Equal("1", draining.Header("Retry-After"));
        (await server.RequestAsync("site.test", "/_pyhost/live")).AssertStatus(200);
        Assert.Equal("main", (await server.AppAsync("site.test", "/work")).GetProperty("app").GetString());   // still serving
        Assert.Equal(0, await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static async Task<RawHttpResponse> RequestAsync(ConfiguredServer server, string target, string user, string password)
    {
        string credentials = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));
        await using var connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.Ports[0]));
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\nAuthorization: Basic {credentials}\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
