using System.Globalization;
using System.Net.Http;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Operations;

/// <summary>The front returns the memory a burst of traffic grew once the server goes quiet (IdleMemoryTrim).</summary>
public sealed class IdleMemoryTests
{
    private static readonly Regex Trimmed = new(@"Idle: the front's unused memory was returned to the system \(resident (\d+) MB → (\d+) MB\)");

    [Fact]
    public async Task AfterABurstTheQuietFrontCollectsAndShrinks()
    {
        var port = Ops.FreePort();
        await using var pyhost = await Ops.StartServingAsync(port, Ops.Serve(Ops.App, "-b", Ops.Bind(port), "-w", "2", "--log-level", "debug"));

        // Each request's 6 KB of cookie becomes strings in the front (Kestrel's header values, the worker's environ):
        // 4 x 1,000 of them allocate well over the 16 MB a trim waits for.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string cookie = "session=" + new string('c', 6000);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            for (int i = 0; i < 1000; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/?n={i}");
                request.Headers.Add("Cookie", cookie);
                using var response = await client.SendAsync(request);
                Assert.Equal(200, (int)response.StatusCode);
            }
        }));
        int afterBurst = pyhost.LineCount;

        // Quiet now: within two periods of 5 s the front collects, once.
        Match trimmed = await pyhost.WaitForOutputAsync(Trimmed, TimeSpan.FromSeconds(30), afterBurst);
        long before = long.Parse(trimmed.Groups[1].Value, CultureInfo.InvariantCulture);
        long after = long.Parse(trimmed.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(after < before, $"resident {before} MB before the collection and {after} MB after it\n{pyhost.Describe()}");

        // The server still serves, and with no new traffic it does not collect again.
        await Task.Delay(TimeSpan.FromSeconds(6));
        (await Ops.GetAsync(port, "/")).AssertStatus(200);
        Assert.Equal(1, Ops.CountLines(pyhost.OutputSince(afterBurst), Trimmed));
    }
}
