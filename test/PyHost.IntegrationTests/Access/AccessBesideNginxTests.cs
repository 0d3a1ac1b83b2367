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
/// password, 403 for a denied address, 200, 200 then 429 for nginx's limit_req arithmetic (1r/m, burst=1, nodelay).
/// </summary>
public sealed class AccessBesideNginxTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PyHostAnswersAsNginxDoes()
    {
        string root = Directory.CreateTempSubdirectory("pyhost-access-").FullName;
        try
        {
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
            string nginxDirectory = Path.Combine(root, "nginx");
            Directory.CreateDirectory(nginxDirectory);
            File.WriteAllText(Path.Combine(nginxDirectory, "nginx.conf"), $$"""
                daemon off;
                master_process off;
                worker_processes 1;
                pid {{nginxDirectory}}/nginx.pid;
                error_log {{nginxDirectory}}/error.log info;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path {{nginxDirectory}}/body;
                    limit_req_zone $binary_remote_addr zone=limited:1m rate=1r/m;
                    server {
                        listen 127.0.0.1:{{nginxPort}};
                        root {{root}};
                        location /staff { auth_basic "Staff"; auth_basic_user_file {{users}}; }
                        location /closed { deny 127.0.0.0/8; }
                        location /limited { limit_req zone=limited burst=1 nodelay; limit_req_status 429; }
                    }
                }
                """);
            await using TestProcess nginx = TestProcess.Start("/usr/sbin/nginx",
                ["-p", nginxDirectory + "/", "-c", Path.Combine(nginxDirectory, "nginx.conf"), "-e", Path.Combine(nginxDirectory, "error.log")], nginxDirectory);
            await WaitForPortAsync(nginxPort, nginx);

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
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<RawHttpResponse> AskAsync(int port, string target, string? authorization)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port));
        string credentials = authorization is null ? "" : $"Authorization: Basic {authorization}\r\n";
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\n{credentials}Connection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
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
