using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>
/// RFC 9113 §8.2: what Kestrel 10 lets through in an HTTP/2 request is refused with 400 and a page (§8.1.1 allows a
/// response to a malformed request). Kestrel itself already ends the connection with PROTOCOL_ERROR for upper-case
/// names, Connection, a TE other than "trailers", and NUL, CR or LF in a value.
/// </summary>
public sealed class Http2RulesTests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    public static TheoryData<string, string, string, string, string> Malformed() => new()
    {
        { "name with (", "/echo", "fo(o", "1", "not a token" },
        { "name with @", "/echo", "f@o", "1", "not a token" },
        { "name with a space", "/echo", "f o", "1", "not a token" },
        { "name with DEL", "/echo", "f\u007fo", "1", "not a token" },
        { "name with a control byte", "/echo", "f\u0001o", "1", "not a token" },
        { "keep-alive", "/echo", "keep-alive", "5", "connection-specific" },
        { "proxy-connection", "/echo", "proxy-connection", "close", "connection-specific" },
        { "transfer-encoding", "/echo", "transfer-encoding", "chunked", "connection-specific" },
        { "upgrade", "/echo", "upgrade", "websocket", "connection-specific" },
        { "value with a leading space", "/echo", "x-a", " b", "whitespace" },
        { "value with a trailing tab", "/echo", "x-a", "b\t", "whitespace" },
        { "fragment in :path", "/echo#frag", "x-a", "b", "fragment" },
        { "control byte in :path", "/echo/a\u0001b", "x-a", "b", "0x01" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task AMalformedRequestIsAnswered400WithAPage(string name, string path, string field, string value, string reason)
    {
        Output.WriteLine(name);
        await using var connection = await RawHttp2Connection.OpenAsync(Server.EndPoint);

        Http2Answer answer = await connection.GetAsync(path, [(field, value)]);

        Assert.True(answer.Status == 400, $"Expected 400, got {answer}");
        Assert.Contains(reason, answer.Body);
    }

    [Fact]
    public async Task AWellFormedRequestStillReachesTheApp()
    {
        await using var connection = await RawHttp2Connection.OpenAsync(Server.EndPoint);

        Http2Answer answer = await connection.GetAsync("/echo/h2", [("x-custom", "value"), ("te", "trailers")]);

        Assert.True(answer.Status == 200, $"Expected 200, got {answer}");
        Assert.Contains("\"HTTP_X_CUSTOM\": \"value\"", answer.Body);
    }
}
