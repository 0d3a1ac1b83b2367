using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>HTTP clients for tests behind a balancer: one that connects from a chosen local address, and a steady
/// stream of requests that counts what was served and says what failed.</summary>
public static class ClientLoad
{
    /// <summary>Connections from <paramref name="localAddress"/> (any 127/8 address is this machine), for a
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: the server, or the proxy in front, sees that address.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(IPAddress localAddress) =>
        async (context, cancellation) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

    /// <summary>GETs <paramref name="target"/> one after another for <paramref name="duration"/> (at most 20,000): how many
    /// succeeded, and each failure with the time it happened.</summary>
    public static async Task<(int Served, List<string> Failures)> RunAsync(HttpClient client, string target, TimeSpan duration)
    {
        int served = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration && served + failures.Count < 20_000)
        {
            try
            {
                using HttpResponseMessage response = await client.GetAsync(target);
                if (response.IsSuccessStatusCode)
                {
                    served++;
                }
                else
                {
                    failures.Add($"{(int)response.StatusCode} at {clock.Elapsed.TotalSeconds:0.00} s");
                }
            }
            catch (HttpRequestException ex)
            {
                failures.Add($"{ex.Message} at {clock.Elapsed.TotalSeconds:0.00} s");
            }
        }
        return (served, failures);
    }
}
