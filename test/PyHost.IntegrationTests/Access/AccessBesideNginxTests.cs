using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Access;

/// <summary>
/// The same access rules in a pyhost.toml and in Debian's nginx, over the same files and the same htpasswd file
/// (written by Debian's htpasswd), asked the same requests in the same test: 401 and its challenge, 200 with the
/// password, 403 for a denied address, 200, 200 then 429 for nginx's limit_req arithmetic (1r/m, burst=1, nodelay);
/// a user of each hash htpasswd writes (-B, -m, -s, -2, -5) let in with the password and not without; and without
/// nodelay, requests within the burst served late, at their turn, the one past it refused at once.
/// </summary>
public sealed class AccessBesideNginxTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PyHostAnswersAsNginxDoes()
    {
        using var directory = new TemporaryDirectory();
        string root = directory.Path;
        foreach (string name in new[] { "staff/page.txt", "closed/page.txt", "limited/page.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, name))!);
            File.WriteAllText(Path.Combine(root, name), name + "\n");
        }
        string users = Path.Combine(root, "staff.htpasswd");
        await RunAsync("htpasswd", ["-cbB", users, "alice", "wonder land"]);

        await using var pyhost = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [[site]]
              [[site.route]]
              path = "/staff"
              static = "{{root}}/staff"
              basic_auth = { htpasswd = "{{users}}", realm = "Staff" }

              [[site.route]]
              path = "/closed"
              static = "{{root}}/closed"
              deny = ["127.0.0.0/8"]

              [[site.route]]
              path = "/limited"
              static = "{{root}}/limited"
              rate_limit = { rate = "1r/m", burst = 1, nodelay = true }
            """);
        int nginxPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using TestProcess nginx = await StartNginxAsync(root, nginxPort, """
            limit_req_zone $binary_remote_addr zone=limited:1m rate=1r/m;
            """, $$"""
            location /staff { auth_basic "Staff"; auth_basic_user_file {{users}}; }
            location /closed { deny 127.0.0.0/8; }
            location /limited { limit_req zone=limited burst=1 nodelay; limit_req_status 429; }
            """);

        string password = Convert.ToBase64String("alice:wonder land"u8.ToArray());
        string wrong = Convert.ToBase64String("alice:not it"u8.ToArray());
        var asked = new (string Target, string? Authorization)[]
        {
            ("/staff/page.txt", null), ("/staff/page.txt", wrong), ("/staff/page.txt", password),
            ("/closed/page.txt", null),
            ("/limited/page.txt", null), ("/limited/page.txt", null), ("/limited/page.txt", null),
        };
        var answers = new List<string>();
        foreach (var (target, authorization) in asked)
        {
            RawHttpResponse ours = await AskAsync(pyhost.Ports[0], target, authorization);
            RawHttpResponse theirs = await AskAsync(nginxPort, target, authorization);
            answers.Add($"{target} {(authorization is null ? "" : authorization == password ? "(password)" : "(wrong)")}: pyhost {ours.StatusCode}, nginx {theirs.StatusCode}");
            Assert.True(ours.StatusCode == theirs.StatusCode, string.Join("\n", answers));
            if (ours.StatusCode == 200)
            {
                Assert.Equal(theirs.BodyText, ours.BodyText);
            }
            if (ours.StatusCode == 401)
            {
                // nginx says the realm; PyHost says it too, and the charset (RFC 7617 §2.1).
                Assert.Equal("Basic realm=\"Staff\"", theirs.Header("WWW-Authenticate"));
                Assert.StartsWith("Basic realm=\"Staff\"", ours.Header("WWW-Authenticate"));
            }
        }
        output.WriteLine(string.Join("\n", answers));
        Assert.Equal([401, 401, 200, 403, 200, 200, 429], answers.Select(line => int.Parse(line.Split("pyhost ")[1][..3])));
    }

    [Fact]
    public async Task EveryHashDebiansHtpasswdWritesLetsItsUserInAsInNginx()
    {
        using var directory = new TemporaryDirectory();
        string root = directory.Path;
        Directory.CreateDirectory(Path.Combine(root, "staff"));
        File.WriteAllText(Path.Combine(root, "staff", "page.txt"), "staff/page.txt\n");
        string users = Path.Combine(root, "staff.htpasswd");
        // htpasswd's option, the user hashed with it, and how the hash it writes begins.
        var kinds = new (string Option, string User, string Prefix)[]
        {
            ("B", "bcrypt", "$2y$"), ("m", "apr1", "$apr1$"), ("s", "sha1", "{SHA}"), ("2", "sha256", "$5$"), ("5", "sha512", "$6$"),
        };
        foreach (var (option, user, prefix) in kinds)
        {
            await RunAsync("htpasswd", [(File.Exists(users) ? "-b" : "-cb") + option, users, user, $"{user} pass word"]);
            Assert.Contains(File.ReadAllLines(users), line => line.StartsWith($"{user}:{prefix}", StringComparison.Ordinal));
        }

        await using var pyhost = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [[site]]
              [[site.route]]
              path = "/staff"
              static = "{{root}}/staff"
              basic_auth = { htpasswd = "{{users}}", realm = "Staff" }
            """);
        int nginxPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using TestProcess nginx = await StartNginxAsync(root, nginxPort, "", $$"""
            location /staff { auth_basic "Staff"; auth_basic_user_file {{users}}; }
            """);

        var answers = new List<string>();
        foreach (var (_, user, _) in kinds)
        {
            foreach (string password in new[] { $"{user} pass word", $"{user} pass wort" })
            {
                string authorization = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));
                RawHttpResponse ours = await AskAsync(pyhost.Ports[0], "/staff/page.txt", authorization);
                RawHttpResponse theirs = await AskAsync(nginxPort, "/staff/page.txt", authorization);
                answers.Add($"{user} '{password}': pyhost {ours.StatusCode}, nginx {theirs.StatusCode}");
                Assert.True(ours.StatusCode == theirs.StatusCode, string.Join("\n", answers));
                if (ours.StatusCode == 200)
                {
                    Assert.Equal(theirs.BodyText, ours.BodyText);
                }
            }
        }
        output.WriteLine(string.Join("\n", answers));
        Assert.Equal(kinds.SelectMany(_ => new[] { 200, 401 }), answers.Select(line => int.Parse(line.Split("pyhost ")[1][..3])));
    }

    [Fact]
    public async Task WithoutNodelayRequestsWithinTheBurstWaitTheirTurnAsInNginx()
    {
        using var directory = new TemporaryDirectory();
        string root = directory.Path;
        Directory.CreateDirectory(Path.Combine(root, "limited"));
        File.WriteAllText(Path.Combine(root, "limited", "page.txt"), "limited/page.txt\n");
        await using var pyhost = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [[site]]
              [[site.route]]
              path = "/limited"
              static = "{{root}}/limited"
              rate_limit = { rate = "1r/s", burst = 2 }
            """);
        int nginxPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using TestProcess nginx = await StartNginxAsync(root, nginxPort, """
            limit_req_zone $binary_remote_addr zone=limited:1m rate=1r/s;
            """, """
            location /limited { limit_req zone=limited burst=2; limit_req_status 429; }
            """);

        // Four requests at once, 1r/s with a burst of 2 and no nodelay: the first is served at once, the next two
        // wait for their turn at the rate (1 s and 2 s after the first: nginx delays excess / rate), the fourth
        // is over the burst and refused.
        var ours = await AskAtOnceAsync(pyhost.Ports[0], "/limited/page.txt", 4);
        var theirs = await AskAtOnceAsync(nginxPort, "/limited/page.txt", 4);
        string report = $"pyhost: {Describe(ours)}\nnginx: {Describe(theirs)}";
        output.WriteLine(report);
        foreach (var answers in new[] { theirs, ours })
        {
            Assert.True(answers.Select(answer => answer.Status).Order().SequenceEqual([200, 200, 200, 429]), report);
            double[] served = answers.Where(answer => answer.Status == 200).Select(answer => answer.After.TotalSeconds).Order().ToArray();
            Assert.True(served[1] >= 0.9 && served[2] >= 1.9, "Not delayed to their turns at 1r/s:\n" + report);
            Assert.True(answers.Single(answer => answer.Status == 429).After.TotalSeconds < served[1], "The 429 waited:\n" + report);
        }
    }

    /// <summary>Sends <paramref name="count"/> requests on connections opened beforehand, all at once; each answer's status and time.</summary>
    private static async Task<(int Status, TimeSpan After)[]> AskAtOnceAsync(int port, string target, int count)
    {
        var connections = new List<RawHttpConnection>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                connections.Add(await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port)));
            }
            var clock = Stopwatch.StartNew();
            foreach (RawHttpConnection connection in connections)
            {
                await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
            }
            return await Task.WhenAll(connections.Select(async connection => ((await connection.ReadResponseAsync()).StatusCode, clock.Elapsed)));
        }
        finally
        {
            foreach (RawHttpConnection connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static string Describe((int Status, TimeSpan After)[] answers) =>
        string.Join(", ", answers.OrderBy(answer => answer.After).Select(answer => $"{answer.Status} after {answer.After.TotalSeconds:0.000} s"));

    private static async Task<RawHttpResponse> AskAsync(int port, string target, string? authorization)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port));
        string credentials = authorization is null ? "" : $"Authorization: Basic {authorization}\r\n";
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\n{credentials}Connection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }

    /// <summary>
    /// Debian's nginx in the foreground, one process, serving <paramref name="root"/> on <paramref name="port"/> with
    /// these lines in its http block and these locations; its own files in root/nginx.
    /// </summary>
    private static async Task<TestProcess> StartNginxAsync(string root, int port, string http, string locations)
    {
        string directory = Path.Combine(root, "nginx");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                {{http}}
                server {
                    listen 127.0.0.1:{{port}};
                    root {{root}};
                    {{locations}}
                }
            }
            """);
        TestProcess nginx = TestProcess.Start("/usr/sbin/nginx",
            ["-p", directory + "/", "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "error.log")], directory);
        try
        {
            await WaitForPortAsync(port, nginx);
            return nginx;
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program}: {await process.StandardError.ReadToEndAsync()}");
    }

    private static async Task WaitForPortAsync(int port, TestProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }
}
