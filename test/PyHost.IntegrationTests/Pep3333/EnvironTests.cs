using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Pep3333;

/// <summary>PEP 3333 "environ Variables": what /echo sees of a request.</summary>
public sealed class EnvironTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private const string EchoTarget = "/echo/a%20b?x=1&y=%2F";

    [Theory]
    [InlineData("REQUEST_METHOD", "POST")]
    [InlineData("SCRIPT_NAME", "")]
    [InlineData("PATH_INFO", "/echo/a b")]
    [InlineData("QUERY_STRING", "x=1&y=%2F")]
    [InlineData("SERVER_NAME", "127.0.0.1")]
    [InlineData("SERVER_PORT", "{port}")]
    [InlineData("SERVER_PROTOCOL", "HTTP/1.1")]
    [InlineData("REMOTE_ADDR", "127.0.0.1")]
    [InlineData("REQUEST_URI", EchoTarget)]
    [InlineData("RAW_URI", EchoTarget)]
    [InlineData("CONTENT_TYPE", "application/x-test")]
    [InlineData("CONTENT_LENGTH", "5")]
    [InlineData("HTTP_HOST", "127.0.0.1:{port}")]
    [InlineData("HTTP_X_CUSTOM", "custom value")]
    [InlineData("HTTP_ACCEPT", "text/plain")]
    public async Task EnvironHoldsTheRequestAsCgiVariable(string key, string expected)
    {
        var environ = await EchoAPostAsync();

        Assert.True(environ.TryGetValue(key, out var value), $"{key} is missing from the environ: {string.Join(", ", environ.Keys)}");
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Equal(expected.Replace("{port}", Server.Port.ToString()), value.GetString());
    }

    [Theory]
    [InlineData("wsgi.version", "[1,0]")]
    [InlineData("wsgi.url_scheme", "\"http\"")]
    [InlineData("wsgi.multithread", "false")]
    [InlineData("wsgi.run_once", "false")]
    [InlineData("wsgi.input_terminated", "true")]
    public async Task EnvironHoldsTheWsgiKey(string key, string expectedJson)
    {
        var environ = await EchoAPostAsync();

        Assert.True(environ.TryGetValue(key, out var value), $"{key} is missing from the environ: {string.Join(", ", environ.Keys)}");
        Assert.Equal(expectedJson, JsonSerializer.Serialize(value));
    }

    [Fact]
    public async Task ContentTypeAndContentLengthHaveNoHttpPrefixedTwin()
    {
        var environ = await EchoAPostAsync();

        Assert.DoesNotContain("HTTP_CONTENT_TYPE", environ.Keys);
        Assert.DoesNotContain("HTTP_CONTENT_LENGTH", environ.Keys);
    }

    [Theory]
    [InlineData("/echo/caf%C3%A9", "/echo/caf\u00c3\u00a9")]
    [InlineData("/echo/caf%c3%a9", "/echo/caf\u00c3\u00a9")]
    [InlineData("/echo/%FF", "/echo/\u00ff")]
    [InlineData("/echo/a%2Fb", "/echo/a/b")]
    [InlineData("/echo/100%25", "/echo/100%")]
    [InlineData("/echo/what%3F?q=%C3%A9", "/echo/what?")]
    public async Task PathInfoIsTheRawPathPercentDecodedAndReadAsLatin1(string target, string pathInfo)
    {
        var environ = (await Server.GetAsync(target)).AssertStatus(200).Environ();

        Assert.Equal(pathInfo, environ["PATH_INFO"].GetString());
        Assert.Equal(target, environ["REQUEST_URI"].GetString());
        Assert.Equal(target, environ["RAW_URI"].GetString());
    }

    [Fact]
    public async Task RepeatedHeaderFieldsAreJoinedWithCommas()
    {
        var environ = (await Server.GetAsync("/echo/multi", "X-Multi: a", "X-Multi: b")).AssertStatus(200).Environ();

        Assert.Equal("a, b", environ["HTTP_X_MULTI"].GetString());
    }

    [Fact]
    public async Task RepeatedCookieFieldsAreJoinedWithSemicolons()
    {
        // RFC 9110 §5.3 joins repeated fields with commas, but RFC 6265 §5.4 says cookies are joined with "; ".
        var environ = (await Server.GetAsync("/echo/cookies", "Cookie: a=1", "Cookie: b=2")).AssertStatus(200).Environ();

        Assert.Equal("a=1; b=2", environ["HTTP_COOKIE"].GetString());
    }

    [Fact]
    public async Task HeaderNamesWithAnUnderscoreAreDropped()
    {
        // X_Forwarded_For and X-Forwarded-For would both become HTTP_X_FORWARDED_FOR: a client could spoof what a
        // proxy set. nginx and gunicorn drop the underscore form.
        var environ = (await Server.GetAsync("/echo/spoof", "X_Forwarded_For: 6.6.6.6")).AssertStatus(200).Environ();

        Assert.DoesNotContain("HTTP_X_FORWARDED_FOR", environ.Keys);
        Assert.DoesNotContain(environ, pair => pair.Value.ValueKind == JsonValueKind.String && pair.Value.GetString() == "6.6.6.6");
    }

    [Fact]
    public async Task VariableGivenWithDashEReachesTheAppsProcessEnvironment()
    {
        var echoed = (await Server.GetAsync("/echo/env")).AssertStatus(200).Json();

        Assert.Equal(Fixture.TestDirectory, echoed.GetProperty("test_dir").GetString());
    }

    private async Task<IReadOnlyDictionary<string, JsonElement>> EchoAPostAsync()
    {
        var response = await Server.PostAsync(
            EchoTarget, "hello", "Content-Type: application/x-test", "X-Custom: custom value", "Accept: text/plain");
        return response.AssertStatus(200).Environ();
    }
}
