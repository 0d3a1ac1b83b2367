using Microsoft.AspNetCore.Http;
using PyHost.Http.Observability;

namespace PyHost.Http.Tests.Observability;

public class AccessLogFormatTests
{
    private static AccessLogEntry Entry(Action<IHeaderDictionary>? requestHeaders = null, string target = "/a/b?c=1")
    {
        IHeaderDictionary request = new HeaderDictionary { ["User-Agent"] = "ua/1", ["Referer"] = "http://ref/" };
        requestHeaders?.Invoke(request);
        return new AccessLogEntry
        {
            Time = new DateTimeOffset(2026, 11, 21, 6, 32, 45, 123, TimeSpan.FromHours(1)),
            RemoteAddress = "192.0.2.7",
            Method = "GET",
            Target = target,
            Protocol = "HTTP/1.1",
            Status = 200,
            BodyBytes = 1234,
            Duration = TimeSpan.FromMicroseconds(1_234_567),
            RequestHeaders = request,
            ResponseHeaders = new HeaderDictionary { ["Content-Type"] = "text/html" },
            RequestId = "rid-1",
            Site = "blog",
            App = "main",
            WorkerId = 3,
            ServerName = "example.org",
            ServerPort = 8000,
            RemotePort = 50000,
        };
    }

    private static string Format(string format, AccessLogEntry entry)
    {
        Assert.True(AccessLogFormat.TryParse(format, out AccessLogFormat parsed, out string? error), error);
        return parsed.Format(entry);
    }

    [Fact]
    public void CombinedIsApachesFormatAndGunicornsDefault()
    {
        Assert.Equal("192.0.2.7 - - [21/Nov/2026:06:32:45 +0100] \"GET /a/b?c=1 HTTP/1.1\" 200 1234 \"http://ref/\" \"ua/1\"", Format("combined", Entry()));
        Assert.Equal(Format(AccessLogFormat.Combined, Entry()), Format("combined", Entry()));
    }

    [Theory]
    [InlineData("%(h)s", "192.0.2.7")]
    [InlineData("%(l)s", "-")]
    [InlineData("%(m)s %(U)s %(q)s %(H)s", "GET /a/b c=1 HTTP/1.1")]
    [InlineData("%(s)s %(B)s %(b)s", "200 1234 1234")]
    [InlineData("%(T)s %(M)s %(D)s %(L)s", "1 1234 1234567 1.234567")]
    [InlineData("%(f)s|%(a)s", "http://ref/|ua/1")]
    [InlineData("%({user-agent}i)s %({missing}i)s %({content-type}o)s", "ua/1 - text/html")]
    [InlineData("%({remote_addr}e)s %({server_name}e)s:%({server_port}e)s %({http_user_agent}e)s", "192.0.2.7 example.org:8000 ua/1")]
    [InlineData("%(request_id)s %(site)s %(app)s %(worker)s", "rid-1 blog main 3")]
    [InlineData("100%% %(s)s", "100% 200")]
    public void EachGunicornAtomHasGunicornsValue(string format, string expected) => Assert.Equal(expected, Format(format, Entry()));

    [Fact]
    public void TheUserIsBasicAuthenticationsUserName()
    {
        string header = "Basic " + Convert.ToBase64String("alice:secret"u8.ToArray());
        Assert.Equal("alice", Format("%(u)s", Entry(h => h.Authorization = header)));
        Assert.Equal("-", Format("%(u)s", Entry(h => h.Authorization = "Bearer x")));
        Assert.Equal("-", Format("%(u)s", Entry(h => h.Authorization = "Basic !!!")));
    }

    [Fact]
    public void AUserAWebServerInFrontAuthenticatedIsTheUser() =>
        Assert.Equal("carol", Format("%(u)s", Entry(h => h.Authorization = "Basic " + Convert.ToBase64String("alice:x"u8.ToArray())) with { User = "carol" }));

    [Fact]
    public void CombinedSiteIsCombinedFollowedByTheSiteAndTheApp()
    {
        string combined = Format("combined", Entry());

        Assert.Equal(combined + " site=\"blog\" app=\"main\"", Format("combined_site", Entry()));
        Assert.Equal(combined + " site=\"-\" app=\"-\"", Format("combined_site", Entry() with { Site = null, App = null }));
    }

    [Fact]
    public void VhostCombinedIsApachesWithTheSiteAndPortFirst() =>
        Assert.Equal("blog:8000 " + Format("combined", Entry()), Format("vhost_combined", Entry()));

    [Fact]
    public void AnEmptyBodyIsADashForLowerBAndZeroForUpperB() =>
        Assert.Equal("- 0", Format("%(b)s %(B)s", Entry() with { BodyBytes = 0 }));

    [Theory]
    [InlineData("%(x)s", "unknown atom %(x)s")]
    [InlineData("%(h", "starts no %(atom)s")]
    [InlineData("50%", "write %% for a percent sign")]
    [InlineData("%d", "starts no %(atom)s")]
    public void AFormatThatCannotBeReadSaysWhy(string format, string message)
    {
        Assert.False(AccessLogFormat.TryParse(format, out _, out string? error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void EveryValueFromTheClientIsEscaped()
    {
        string line = Format("combined", Entry(h => h.UserAgent = "a\u001b[2J\u0007\"b\"\\c", target: "/x\u0001y"));

        Assert.Equal("192.0.2.7 - - [21/Nov/2026:06:32:45 +0100] \"GET /x\\x01y HTTP/1.1\" 200 1234 \"http://ref/\" \"a\\x1b[2J\\x07\\\"b\\\"\\\\c\"", line);
    }

    [Fact]
    public void JsonLinesHaveEveryFieldAndAreOneLine()
    {
        string line = Format("json", Entry(h => { h.Host = "example.org"; h.UserAgent = "evil\nline\u001b"; }) with { ForwardedClient = "203.0.113.1" });

        Assert.DoesNotContain('\n', line);
        using var json = System.Text.Json.JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("2026-11-21T06:32:45.123+01:00", root.GetProperty("time").GetString());
        Assert.Equal(("blog", "example.org", "main"), (root.GetProperty("site").GetString(), root.GetProperty("host").GetString(), root.GetProperty("app").GetString()));
        Assert.Equal(("GET", "/a/b?c=1"), (root.GetProperty("method").GetString(), root.GetProperty("path").GetString()));
        Assert.Equal((200, 1234L, 1234567L), (root.GetProperty("status").GetInt32(), root.GetProperty("bytes").GetInt64(), root.GetProperty("duration_us").GetInt64()));
        Assert.Equal(("192.0.2.7", "203.0.113.1"), (root.GetProperty("client").GetString(), root.GetProperty("forwarded_client").GetString()));
        Assert.Equal(("evil\nline\u001b", "rid-1", 3), (root.GetProperty("user_agent").GetString(), root.GetProperty("request_id").GetString(), root.GetProperty("worker").GetInt32()));
        Assert.Contains("\\u001B", line, StringComparison.OrdinalIgnoreCase);
    }
}
