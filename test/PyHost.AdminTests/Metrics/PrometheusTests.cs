using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Metrics;

/// <summary>
/// /metrics as Prometheus reads it: Debian's promtool finds nothing to complain about in the text, and Debian's
/// Prometheus, configured with docs/prometheus.yml, scrapes a running PyHost and answers queries with what happened.
/// </summary>
public sealed class PrometheusTests(ITestOutputHelper output)
{
    private static readonly string SnippetFile = Path.Combine(Repository.Root, "docs", "prometheus.yml");

    [Fact]
    public async Task PromtoolFindsNoProblemInTheMetricsText()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"]);
        (await site.GetAsync("/")).AssertStatus(200);
        (await site.GetAsync("/boom")).AssertStatus(500);

        ApiAnswer metrics = await site.Api.GetJsonlessAsync("/metrics");
        (int exitCode, string said) = await RunAsync("promtool", ["check", "metrics"], metrics.Body);

        Assert.True(exitCode == 0 && said.Trim().Length == 0, $"promtool check metrics exited {exitCode}:\n{said}\n--- the text ---\n{metrics.Body}");
        Assert.StartsWith("text/plain; version=0.0.4", metrics.ContentHeaders.ContentType!.ToString());
        foreach (string name in (string[])["pyhost_http_requests_total", "pyhost_http_request_duration_seconds_bucket", "pyhost_http_sent_bytes_total",
                     "pyhost_workers", "pyhost_worker_restarts_total", "pyhost_queue_requests", "pyhost_queue_wait_duration_seconds_bucket",
                     "pyhost_workers_memory_rss_bytes", "pyhost_buffers_usage_bytes", "dotnet_gc_collections_total", "pyhost_front_thread_pool_threads",
                     "kestrel_active_connections"])
        {
            Assert.True(Regex.IsMatch(metrics.Body, $"^{name}{{", RegexOptions.Multiline), $"{name} is missing from /metrics:\n{metrics.Body}");
        }
        Assert.Matches(new Regex(@"^pyhost_http_requests_total\{.*app=""main"".*status=""5xx"".*\} 1$", RegexOptions.Multiline), metrics.Body);
        Assert.Matches(new Regex(@"^pyhost_workers\{.*app=""main"".*state=""idle"".*\} 2$", RegexOptions.Multiline), metrics.Body);
    }

    [Fact]
    public async Task PrometheusScrapesPyHostWithTheDocumentedConfiguration()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "2"], adminTcp: true);
        string data = Directory.CreateTempSubdirectory("pyhost-prometheus-").FullName;
        int port = PyHostServer.FreePort(IPAddress.Loopback);
        // The documented snippet, pointed at this server and scraping every second.
        string config = File.ReadAllText(SnippetFile)
            .Replace("127.0.0.1:9000", $"127.0.0.1:{site.AdminPort}")
            .Replace("/etc/pyhost/admin.token", site.TokenFile)
            .Replace("scrape_interval: 15s", "scrape_interval: 1s");
        File.WriteAllText(Path.Combine(data, "prometheus.yml"), config);
        await using TestProcess prometheus = TestProcess.Start("/usr/bin/prometheus",
            [$"--config.file={Path.Combine(data, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}",
             $"--web.listen-address=127.0.0.1:{port}"], data);
        try
        {
            for (int i = 0; i < 7; i++)
            {
                (await site.GetAsync($"/?n={i}")).AssertStatus(200);
            }
            (await site.GetAsync("/boom")).AssertStatus(500);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };

            async Task<double?> QueryAsync(string query)
            {
                try
                {
                    string body = await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query));
                    JsonElement result = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("result");
                    return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                }
                catch (HttpRequestException)
                {
                    return null;   // not up yet
                }
            }

            Assert.True(await Until.HoldsAsync(async () => await QueryAsync("""sum(pyhost_http_requests_total{job="pyhost",app="main",status="2xx"})""") == 7,
                TimeSpan.FromSeconds(60)), $"Prometheus never saw the 7 requests.\n{prometheus.Describe()}");
            Assert.Equal(1, await QueryAsync("""up{job="pyhost"}"""));
            Assert.Equal(1, await QueryAsync("""sum(pyhost_http_requests_total{status="5xx"})"""));
            Assert.Equal(2, await QueryAsync("""sum(pyhost_workers{state="idle"})"""));
            Assert.True(await QueryAsync("""sum(pyhost_http_request_duration_seconds_count{app="main"})""") == 8);
            Assert.True(await QueryAsync("""pyhost_workers_memory_rss_bytes{aggregate="sum"}""") > 1_000_000);
            double? median = await QueryAsync("""histogram_quantile(0.5, sum by (le) (pyhost_http_request_duration_seconds_bucket))""");
            Assert.True(median is > 0 and < 60, $"median {median}");
        }
        finally
        {
            output.WriteLine(prometheus.Describe());
            await prometheus.StopAsync(TimeSpan.FromSeconds(10));
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void TheReadmeShowsTheSnippetTheTestUses()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        string snippet = string.Join('\n', File.ReadAllLines(SnippetFile).SkipWhile(line => line.StartsWith('#')));

        Assert.Contains(snippet.Trim(), readme);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string input)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
