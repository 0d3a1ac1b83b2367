using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Logs;

/// <summary>The access log's formats (combined, gunicorn's atoms, JSON lines), the request id it shares with the app,
/// and control characters from clients, which never reach the log raw.</summary>
public sealed class AccessLogTests(ITestOutputHelper output)
{
    private static async Task<string> LastLineAsync(AdminSite site, Func<string, bool> wanted)
    {
        string? line = null;
        Assert.True(await Eventually.HoldsAsync(() =>
        {
            line = File.Exists(site.AccessLogFile) ? File.ReadAllLines(site.AccessLogFile).LastOrDefault(wanted) : null;
            return line is not null;
        }, TimeSpan.FromSeconds(10)), $"no such access log line in {site.AccessLogFile}");
        return line!;
    }

    [Fact]
    public async Task JsonLinesCarryEveryFieldAndTheRequestIdTheAppSaw()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--access-logfile", "access.log", "--access-logformat", "json"]);
        int worker = (await site.WorkersAsync())[0].GetProperty("id").GetInt32();

        JsonElement seen = (await site.GetAsync("/sleep?seconds=0.05", "User-Agent: tester/1.0", "X-Forwarded-For: 203.0.113.9"))
            .AssertStatus(200).Json();

        JsonElement line = JsonDocument.Parse(await LastLineAsync(site, l => l.Contains("/sleep"))).RootElement;
        Assert.Equal("GET", line.GetProperty("method").GetString());
        Assert.Equal("/sleep?seconds=0.05", line.GetProperty("path").GetString());
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.True(line.GetProperty("bytes").GetInt64() > 50);
        Assert.InRange(line.GetProperty("duration_us").GetInt64(), 50_000, 10_000_000);
        Assert.Equal("127.0.0.1", line.GetProperty("client").GetString());
        Assert.Equal("203.0.113.9", line.GetProperty("forwarded_client").GetString());   // the loopback peer is a trusted proxy
        Assert.Equal("tester/1.0", line.GetProperty("user_agent").GetString());
        Assert.Equal("default", line.GetProperty("site").GetString());   // the command line's one site
        Assert.Equal($"127.0.0.1:{site.Port}", line.GetProperty("host").GetString());
        Assert.Equal("main", line.GetProperty("app").GetString());
        Assert.Equal(worker, line.GetProperty("worker").GetInt32());
        Assert.Matches("^[0-9a-f]{32}$", line.GetProperty("request_id").GetString());
        Assert.Equal(seen.GetProperty("request_id").GetString(), line.GetProperty("request_id").GetString());
        Assert.True(DateTimeOffset.TryParse(line.GetProperty("time").GetString(), out _));
    }

    [Fact]
    public async Task ARequestIdFromATrustedProxyIsKeptAndABadOneReplaced()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--access-logfile", "access.log", "--access-logformat", "%(r)s %(request_id)s"]);

        string kept = (await site.GetAsync("/a", "X-Request-ID: edge-7f3a-42")).AssertStatus(200).Json().GetProperty("request_id").GetString()!;
        string replaced = (await site.GetAsync("/b", "X-Request-ID: two words")).AssertStatus(200).Json().GetProperty("request_id").GetString()!;

        Assert.Equal("edge-7f3a-42", kept);
        Assert.Matches("^[0-9a-f]{32}$", replaced);
        Assert.Equal("GET /a HTTP/1.1 edge-7f3a-42", await LastLineAsync(site, l => l.StartsWith("GET /a ")));
        Assert.Equal($"GET /b HTTP/1.1 {replaced}", await LastLineAsync(site, l => l.StartsWith("GET /b ")));
    }

    [Fact]
    public async Task GunicornAtomsAreWrittenAsGunicornWritesThem()
    {
        const string Format = "%(h)s|%(l)s|%(u)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(b)s|%(f)s|%(a)s|%(p)s|%({x-custom}i)s|%({content-type}o)s|%({path_info}e)s|%(app)s|%(T)s|100%%";
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--access-logfile", "access.log", "--access-logformat", Format]);

        RawHttpResponse response = (await site.GetAsync("/x/y?z=1", "X-Custom: hello", "Referer: http://ref/", "User-Agent: ua",
            "Authorization: Basic " + Convert.ToBase64String("alice:secret"u8.ToArray()))).AssertStatus(200);

        string line = await LastLineAsync(site, l => l.Contains("/x/y"));
        Assert.Equal($"127.0.0.1|-|alice|GET|/x/y|z=1|HTTP/1.1|200|{response.Body.Length}|{response.Body.Length}|http://ref/|ua|<{site.Process.Id}>|hello|application/json|/x/y|main|0|100%", line);
    }

    [Fact]
    public async Task TheDefaultIsTheCombinedFormat()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--access-logfile", "access.log"]);

        RawHttpResponse response = (await site.GetAsync("/c?d=1", "User-Agent: ua/2", "Referer: http://r/")).AssertStatus(200);

        Assert.Matches(new Regex($@"^127\.0\.0\.1 - - \[\d\d/\w\w\w/\d{{4}}:\d\d:\d\d:\d\d [+-]\d{{4}}\] ""GET /c\?d=1 HTTP/1\.1"" 200 {response.Body.Length} ""http://r/"" ""ua/2""$"),
            await LastLineAsync(site, l => l.Contains("/c?d=1")));
    }

    [Fact]
    public async Task ControlCharactersFromAClientAreEscapedInTheAccessLog()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "--access-logfile", "access.log"]);

        (await site.GetAsync("/esc", "User-Agent: evil\u001b[2J\u0007bell \"quoted\" back\\slash")).AssertStatus(200);

        string line = await LastLineAsync(site, l => l.Contains("/esc"));
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\u0007', line);
        Assert.EndsWith("\"evil\\x1b[2J\\x07bell \\\"quoted\\\" back\\\\slash\"", line);
    }
}
