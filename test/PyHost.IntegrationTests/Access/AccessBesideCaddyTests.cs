using System.Diagnostics;
using System.Net;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Access;

/// <summary>
/// The same access rules in a pyhost.toml and in Debian's Caddy (2.6.2), over the same files, asked the same requests
/// in the same test: 401 with the realm's challenge, 401 for a wrong password, 200 with the right one (Caddy's
/// basicauth given the bcrypt hash Debian's htpasswd wrote into PyHost's file: Go's bcrypt reads $2y$ too), 403
/// for an address a deny list has or an allow list lacks, 200 for one an allow list has (Caddy: remote_ip matchers
/// answered with respond 403). Caddy has no rate limit of its
/// own (the rate_limit handler is a plugin, not in Debian's build): nginx's side-by-side test covers 429.
/// </summary>
public sealed class AccessBesideCaddyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PyHostAnswersAsCaddyDoes()
    {
        string root = Directory.CreateTempSubdirectory("pyhost-access-").FullName;
        try
        {
            foreach (string name in new[] { "staff/page.txt", "closed/page.txt", "open/page.txt", "members/page.txt" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, name))!);
                File.WriteAllText(Path.Combine(root, name), name + "\n");
            }
            string users = Path.Combine(root, "staff.htpasswd");
            ToolResult htpasswd = await ExternalTool.RunAsync("htpasswd", ["-cbB", users, "alice", "wonder land"]);
            Assert.True(htpasswd.ExitCode == 0, htpasswd.All);
            string hash = File.ReadAllText(users).Trim().Split(':', 2)[1];
            Assert.StartsWith("$2y$", hash);

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
                  path = "/open"
                  static = "{{root}}/open"
                  allow = ["127.0.0.1/32"]

                  [[site.route]]
                  path = "/members"
                  static = "{{root}}/members"
                  allow = ["10.0.0.0/8"]
                """);
            await using ReverseProxy caddy = await ReverseProxy.StartCaddyAsync(port => $$"""
                http://:{{port}} {
                	bind 127.0.0.1
                	root * {{root}}
                	basicauth /staff/* bcrypt Staff {
                		alice {{hash}}
                	}
                	@denied {
                		path /closed/*
                		remote_ip 127.0.0.0/8
                	}
                	respond @denied 403
                	@notAllowed {
                		path /open/*
                		not remote_ip 127.0.0.1/32
                	}
                	respond @notAllowed 403
                	@notMember {
                		path /members/*
                		not remote_ip 10.0.0.0/8
                	}
                	respond @notMember 403
                	file_server
                }
                """);

            string password = Convert.ToBase64String("alice:wonder land"u8.ToArray());
            string wrong = Convert.ToBase64String("alice:not it"u8.ToArray());
            var asked = new (string Target, string? Authorization)[]
            {
                ("/staff/page.txt", null), ("/staff/page.txt", wrong), ("/staff/page.txt", password),
                ("/closed/page.txt", null), ("/open/page.txt", null), ("/members/page.txt", null),
            };
            var answers = new List<string>();
            foreach (var (target, authorization) in asked)
            {
                RawHttpResponse ours = await AskAsync(pyhost.Ports[0], target, authorization);
                RawHttpResponse theirs = await AskAsync(caddy.Port, target, authorization);
                answers.Add($"{target} {(authorization is null ? "" : authorization == password ? "(password)" : "(wrong)")}: pyhost {ours.StatusCode}, caddy {theirs.StatusCode}");
                Assert.True(ours.StatusCode == theirs.StatusCode, string.Join("\n", answers) + "\n" + caddy.Process.Describe());
                if (ours.StatusCode == 200)
                {
                    Assert.Equal(theirs.BodyText, ours.BodyText);
                }
                if (ours.StatusCode == 401)
                {
                    // Caddy says the realm; PyHost says it too, and the charset (RFC 7617 §2.1).
                    Assert.Equal("Basic realm=\"Staff\"", theirs.Header("WWW-Authenticate"));
                    Assert.StartsWith("Basic realm=\"Staff\"", ours.Header("WWW-Authenticate"));
                }
            }
            output.WriteLine(string.Join("\n", answers));
            Assert.Equal([401, 401, 200, 403, 200, 403], answers.Select(line => int.Parse(line.Split("pyhost ")[1][..3])));
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
}
