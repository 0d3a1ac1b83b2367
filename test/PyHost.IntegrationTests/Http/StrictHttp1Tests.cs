using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Http;

/// <summary>
/// RFC 9112 read strictly: what Kestrel 10 lets through gets its status before any worker sees it, and the
/// connection is closed after it, so nothing that follows on the connection is read with doubtful framing.
/// </summary>
public sealed class StrictHttp1Tests(Pep3333Server fixture, ITestOutputHelper output) : ServedTest<Pep3333Server>(fixture, output)
{
    private const string Follower = "GET /echo/after HTTP/1.1\r\nHost: test\r\n\r\n";

    // Chunked requests go to /upload, which reads the body to its end: a bad chunk is found when the body is
    // read. (An app that never reads the body gets its response out, and the connection is closed after it.)
    public static TheoryData<string, string, int, string> Refused() => new()
    {
        // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing (a smuggling shape); 400, then close.
        { "HTTP/1.0 with Transfer-Encoding", "POST /upload HTTP/1.0\r\nHost: test\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "HTTP/1.0" },
        // RFC 9112 §6.3: Content-Length = 1*DIGIT. Kestrel answers these itself once the guard stops the bytes: no page.
        { "Content-Length +5", "POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: +5\r\n\r\nhello", 400, "" },
        { "Content-Length 5 NUL", "POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: 5\0\r\n\r\nhello", 400, "" },
        { "Content-Length with Transfer-Encoding", "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "" },
        // RFC 9110 §5.1: a field name is a token.
        { "name with (", "GET /echo HTTP/1.1\r\nHost: test\r\nFo(o: 1\r\n\r\n", 400, "not a token" },
        { "name with a control byte", "GET /echo HTTP/1.1\r\nHost: test\r\nF\u0001o: 1\r\n\r\n", 400, "not a token" },
        { "name with a quote", "GET /echo HTTP/1.1\r\nHost: test\r\nF\"o: 1\r\n\r\n", 400, "not a token" },
        { "name with @", "GET /echo HTTP/1.1\r\nHost: test\r\nF@o: 1\r\n\r\n", 400, "not a token" },
        { "name with /", "GET /echo HTTP/1.1\r\nHost: test\r\nF/o: 1\r\n\r\n", 400, "not a token" },
        { "name with [", "GET /echo HTTP/1.1\r\nHost: test\r\nF[o: 1\r\n\r\n", 400, "not a token" },
        { "name with DEL", "GET /echo HTTP/1.1\r\nHost: test\r\nF\u007fo: 1\r\n\r\n", 400, "not a token" },
        // RFC 9112 §6.1: chunked exactly once, and last; a coding the server does not implement is 501.
        { "gzip, chunked", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501, "gzip" },
        { "gzip and chunked on two lines", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501, "gzip" },
        { "chunked, chunked", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "more than once" },
        { "chunked on two lines", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "more than once" },
        // RFC 9112 §3.2, RFC 9110 §7.1: no control bytes, DEL or fragment in the target.
        { "target with a control byte", "GET /echo/a\u0001b HTTP/1.1\r\nHost: test\r\n\r\n", 400, "0x01" },
        { "target with DEL", "GET /echo/a\u007fb HTTP/1.1\r\nHost: test\r\n\r\n", 400, "0x7F" },
        { "target with a tab", "GET /echo/a\tb HTTP/1.1\r\nHost: test\r\n\r\n", 400, "0x09" },
        { "target with a fragment", "GET /echo/a#frag HTTP/1.1\r\nHost: test\r\n\r\n", 400, "fragment" },
        { "query with a fragment", "GET /echo?q=1#frag HTTP/1.1\r\nHost: test\r\n\r\n", 400, "fragment" },
        // RFC 9112 §7.1.1: chunk-ext grammar. The body read fails, so the front's page says so.
        { "chunk extension with NUL", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\0\r\nhello\r\n0\r\n\r\n", 400, "chunk extension" },
        { "chunk extension with a control byte", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a\u0001b\r\nhello\r\n0\r\n\r\n", 400, "chunk extension" },
        { "chunk extension with DEL in quotes", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"\u007f\"\r\nhello\r\n0\r\n\r\n", 400, "chunk extension" },
        { "last-chunk extension with NUL", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0;x=\0\r\n\r\n", 400, "chunk extension" },
        { "trailer name that is not a token", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nF(o: 1\r\n\r\n", 400, "trailer field name" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task RefusedWithItsStatusThenTheConnectionIsClosed(string name, string request, int status, string reason)
    {
        Output.WriteLine(name);
        await using var connection = await Server.ConnectAsync();
        connection.Timeout = TimeSpan.FromSeconds(5);
        await connection.SendAsync(request + Follower);

        var response = await connection.ReadResponseAsync();

        response.AssertStatus(status);
        Assert.Contains(reason, response.BodyText);
        Assert.Null(await connection.ReadResponseOrNullAsync());
        (await Server.GetAsync("/echo/still-serving")).AssertStatus(200);
    }

    /// <summary>
    /// The rest of RFC 9112 §6.3's Content-Length rule Kestrel 10 enforces itself (400 and close). Kept as a guard:
    /// it fails if a Kestrel upgrade or the framing guard lets one of them through.
    /// </summary>
    [Theory]
    [InlineData("POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length:  5 x\r\n\r\nhello")]
    [InlineData("POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: 5, 6\r\n\r\nhello")]
    [InlineData("POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")]
    public async Task KestrelItselfRefusesOtherBadContentLengthsWith400AndClose(string request)
    {
        await using var connection = await Server.ConnectAsync();
        connection.Timeout = TimeSpan.FromSeconds(5);
        await connection.SendAsync(request + Follower);

        (await connection.ReadResponseAsync()).AssertStatus(400);
        Assert.Null(await connection.ReadResponseOrNullAsync());
    }

    public static TheoryData<string, string> Accepted() => new()
    {
        { "chunked in any case, with empty list elements", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: , Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "chunk extensions as RFC 9112 §7.1.1 writes them", "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b;c=\"d \\\"e\\\"\"\r\nhe\r\n3;last\r\nllo\r\n0;end\r\nChecksum: x\r\n\r\n" },
        { "Content-Length with leading zeros and spaces around", "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: \t005 \r\n\r\nhello" },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task WhatTheRfcAllowsStillPassesAndTheConnectionStaysOpen(string name, string request)
    {
        Output.WriteLine(name);
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(request + Follower);

        var response = (await connection.ReadResponseAsync()).AssertStatus(200);
        Assert.Equal(5, response.Json().GetProperty("length").GetInt32());
        (await connection.ReadResponseAsync()).AssertStatus(200);
    }

    [Fact]
    public async Task AValidRequestPipelinedAheadOfABadOneIsStillAnswered()
    {
        await using var connection = await Server.ConnectAsync();
        await connection.SendAsync(
            "POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello" +
            "POST /echo-body HTTP/1.1\r\nHost: test\r\nContent-Length: +5\r\n\r\nworld" + Follower);

        Assert.Equal("hello", (await connection.ReadResponseAsync()).AssertStatus(200).BodyText);
        (await connection.ReadResponseAsync()).AssertStatus(400);
        Assert.Null(await connection.ReadResponseOrNullAsync());
    }
}
