using System.Net;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>What the proxy tests share: the pyhost.toml of a balancer with one upstream, and a request to it.</summary>
internal static class Balancer
{
    /// <summary>A listener on {port0} and one route to [upstream.back] of these servers (TOML list items) and keys.</summary>
    public static string Toml(string servers, string upstreamKeys = "") => $$"""
        [[listen]]
        address = "127.0.0.1:{port0}"

        [upstream.back]
        servers = [{{servers}}]
        {{upstreamKeys}}

        [[site]]
          [[site.route]]
          proxy = "back"
        """;

    /// <summary>A GET to the balancer on a new connection, from <paramref name="from"/> when given;
    /// <paramref name="headers"/> are whole lines.</summary>
    public static async Task<RawHttpResponse> GetAsync(ConfiguredServer front, string target, IPAddress? from = null, string headers = "",
        TimeSpan? timeout = null)
    {
        await using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Loopback, front.Ports[0]), from);
        connection.Timeout = timeout ?? RawHttpConnection.DefaultTimeout;
        await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: site.test\r\n{headers}Connection: close\r\n\r\n");
        return await connection.ReadResponseAsync();
    }
}
