using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// The ways a PyHost balancer reaches a server other than HTTP/1.1 over TCP: a pyhost listening on a unix socket
/// (proxy = "unix:PATH"), and one spoken to in HTTP/2 without TLS (protocol = "h2": h2c by prior knowledge). Each
/// gets a request without a body (the own HTTP/1.1 client, where it applies) and one with a body over 64 KiB
/// (streamed through YARP).
/// </summary>
public sealed class UpstreamTransportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AServerOnAUnixSocketIsReached()
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-upstream-").FullName;
        try
        {
            string socket = Path.Combine(directory, "backend.sock");
            await using ConfiguredServer backend = await Pep3333Server.StartBackendAsync(output, $"unix:{socket}");
            await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml($"\"unix:{socket}\"", ""));

            IReadOnlyDictionary<string, JsonElement> environ = (await front.RequestAsync("site.test", "/echo?over=unix")).AssertStatus(200).Environ();
            Assert.Equal("over=unix", environ["QUERY_STRING"].GetString());
            Assert.Equal("HTTP/1.1", environ["SERVER_PROTOCOL"].GetString());
            await AssertBodyEchoedAsync(front);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AServerIsSpokenToInHttp2WithoutTls()
    {
        // A pyhost listener offers h2c beside HTTP/1.1 (protocols = ["h1", "h2"], the default).
        await using ConfiguredServer backend = await Pep3333Server.StartBackendAsync(output);
        await using var front = await ConfiguredServer.StartAsync(output, Balancer.Toml($"\"http://127.0.0.1:{backend.Ports[0]}\"", "protocol = \"h2\""));

        IReadOnlyDictionary<string, JsonElement> environ = (await front.RequestAsync("site.test", "/echo")).AssertStatus(200).Environ();
        Assert.StartsWith("HTTP/2", environ["SERVER_PROTOCOL"].GetString());
        Assert.Equal("site.test", environ["HTTP_HOST"].GetString());
        await AssertBodyEchoedAsync(front);
    }

    /// <summary>300 000 bytes posted to /echo-body come back whole.</summary>
    private static async Task AssertBodyEchoedAsync(ConfiguredServer front)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front.Ports[0]}"), Timeout = TimeSpan.FromSeconds(60) };
        byte[] body = new byte[300_000];
        new Random(7).NextBytes(body);
        using HttpResponseMessage response = await client.PostAsync("/echo-body", new ByteArrayContent(body));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        byte[] echoed = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.AsSpan().SequenceEqual(echoed), $"the body came back changed: {echoed.Length} bytes");
    }
}
