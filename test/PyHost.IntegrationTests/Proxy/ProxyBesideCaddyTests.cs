using System.Net;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// A PyHost balancer and Debian's Caddy (2.6.2) in front of the same backend pyhost, configured the same way, asked the
/// same requests: the backend's own 200, 404 and 500 pass through; a server nobody listens on is 502 from both; an
/// answer slower than the response timeout (PyHost's response_timeout, Caddy's response_header_timeout) is 504 from
/// both.
/// </summary>
public sealed class ProxyBesideCaddyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PyHostAnswersAsCaddyDoesForADownAndASlowBackend()
    {
        int downPort = PyHostServer.FreePort(IPAddress.Loopback);
        // Two workers: the sleeping request PyHost gave up on still holds one when Caddy's is sent.
        await using ConfiguredServer backend = await Pep3333Server.StartBackendAsync(output, workers: 2);
        int backendPort = backend.Ports[0];
        await using var pyhost = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["http://127.0.0.1:{{backendPort}}"]
            response_timeout = "1s"

            [upstream.gone]
            servers = ["http://127.0.0.1:{{downPort}}"]

            [[site]]
              [[site.route]]
              path = "/down"
              proxy = "gone"
              strip_prefix = true

              [[site.route]]
              proxy = "back"
            """);
        await using ReverseProxy caddy = await ReverseProxy.StartCaddyAsync(port => $$"""
            http://:{{port}} {
            	bind 127.0.0.1
            	handle_path /down/* {
            		reverse_proxy 127.0.0.1:{{downPort}}
            	}
            	handle {
            		reverse_proxy 127.0.0.1:{{backendPort}} {
            			transport http {
            				response_header_timeout 1s
            			}
            		}
            	}
            }
            """);

        var answers = new List<string>();
        foreach (string target in (string[])["/echo", "/no/such/page", "/error", "/down/echo", "/sleep?seconds=3"])
        {
            RawHttpResponse ours = await AskAsync(pyhost.Ports[0], target);
            RawHttpResponse theirs = await AskAsync(caddy.Port, target);
            answers.Add($"{target}: pyhost {ours.StatusCode}, caddy {theirs.StatusCode}");
            Assert.True(ours.StatusCode == theirs.StatusCode, string.Join("\n", answers) + "\n" + caddy.Process.Describe());
        }
        output.WriteLine(string.Join("\n", answers));
        Assert.Equal([200, 404, 500, 502, 504], answers.Select(line => int.Parse(line.Split("pyhost ")[1][..3])));
    }

    private static async Task<RawHttpResponse> AskAsync(int port, string target)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, port));
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
