using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>
/// /metrics of a PyHost balancer in front of a backend pyhost and a server nobody listens on: per upstream and server,
/// the answers by status class, the failures by kind, the duration histogram, the health and in-flight gauges —
/// counted as the requests went, and clean for Debian's promtool.
/// </summary>
public sealed class UpstreamMetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MetricsCountEachServersAnswersAndFailuresAndShowItsHealth()
    {
        int downPort = PyHostServer.FreePort(IPAddress.Loopback);
        await using ConfiguredServer backend = await Pep3333Server.StartBackendAsync(output);
        string upUrl = $"http://127.0.0.1:{backend.Ports[0]}", downUrl = $"http://127.0.0.1:{downPort}";
        // No active checks: the first request sent to the dead server fails to connect, is retried on the live one, and
        // the dead one is left out for a minute (max_fails = 1).
        await using var front = await ConfiguredServer.StartAsync(output, $$"""
            [[listen]]
            address = "127.0.0.1:{port0}"

            [upstream.back]
            servers = ["{{downUrl}}", "{{upUrl}}"]
            max_fails = 1
            fail_timeout = "60s"

            [[site]]
              [[site.route]]
              proxy = "back"
            """, 1, "--pid", "site.pid");
        using var admin = new AdminSocket(Path.Combine(front.Directory, "site.control.sock"));

        for (int i = 0; i < 5; i++)
        {
            (await front.RequestAsync("site.test", "/echo")).AssertStatus(200);
        }
        (await front.RequestAsync("site.test", "/no/such/page")).AssertStatus(404);
        (await front.RequestAsync("site.test", "/error")).AssertStatus(500);

        string metrics = await admin.GetTextAsync("/metrics");
        Assert.Equal(5, Value(metrics, "pyhost_upstream_requests_total", ("upstream", "back"), ("server", upUrl), ("status", "2xx")));
        Assert.Equal(1, Value(metrics, "pyhost_upstream_requests_total", ("upstream", "back"), ("server", upUrl), ("status", "4xx")));
        Assert.Equal(1, Value(metrics, "pyhost_upstream_requests_total", ("upstream", "back"), ("server", upUrl), ("status", "5xx")));
        Assert.Equal(0, Value(metrics, "pyhost_upstream_requests_total", ("upstream", "back"), ("server", downUrl), ("status", "2xx")));
        Assert.Equal(1, Value(metrics, "pyhost_upstream_failures_total", ("upstream", "back"), ("server", downUrl), ("kind", "connect")));
        Assert.Equal(0, Value(metrics, "pyhost_upstream_failures_total", ("upstream", "back"), ("server", upUrl), ("kind", "connect")));
        Assert.Equal(7, Value(metrics, "pyhost_upstream_request_duration_seconds_count", ("upstream", "back"), ("server", upUrl)));
        Assert.Equal(7, Value(metrics, "pyhost_upstream_request_duration_seconds_bucket", ("upstream", "back"), ("server", upUrl), ("le", "+Inf")));
        Assert.Equal(1, Value(metrics, "pyhost_upstream_server_healthy", ("upstream", "back"), ("server", upUrl)));
        Assert.Equal(0, Value(metrics, "pyhost_upstream_server_healthy", ("upstream", "back"), ("server", downUrl)));
        Assert.Equal(0, Value(metrics, "pyhost_upstream_server_active_requests", ("upstream", "back"), ("server", upUrl)));

        // A request in flight is seen in flight.
        Task<RawHttpResponse> slow = front.RequestAsync("site.test", "/sleep?seconds=2");
        Assert.True(await Eventually.HoldsAsync(async () =>
            Value(await admin.GetTextAsync("/metrics"), "pyhost_upstream_server_active_requests", ("upstream", "back"), ("server", upUrl)) == 1,
            TimeSpan.FromSeconds(10)), "the sleeping request never showed in pyhost_upstream_server_active_requests");
        (await slow).AssertStatus(200);

        (int exit, string said) = await PromtoolAsync(metrics);
        Assert.True(exit == 0 && said.Trim().Length == 0, $"promtool check metrics exited {exit}:\n{said}");
    }

    /// <summary>The value of the one sample of <paramref name="name"/> with these labels (among others).</summary>
    private static double Value(string metrics, string name, params (string Label, string Value)[] labels)
    {
        var samples = metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal)
                           && labels.All(label => line.Contains($"{label.Label}=\"{label.Value}\"", StringComparison.Ordinal)))
            .ToList();
        Assert.True(samples.Count == 1, $"{samples.Count} samples of {name} with {string.Join(", ", labels)}:\n{metrics}");
        Match value = Regex.Match(samples[0], @"\} (\S+)(?: \d+)?$");
        return double.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(string metrics)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using Process process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(metrics);
        process.StandardInput.Close();
        string said = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, said);
    }
}
