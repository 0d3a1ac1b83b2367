using System.Buffers;
using System.Text;
using PyHost.Gateways.Cgi;
using PyHost.Protocol;

namespace PyHost.Gateways.Tests.Cgi;

public class CgiResponseWriterTests
{
    [Theory]
    [InlineData(StatusLineStyle.CgiStatusHeader, "Status: 200 OK\r\n")]
    [InlineData(StatusLineStyle.HttpStatusLine, "HTTP/1.1 200 OK\r\n")]
    public void TheStatusComesAsTheFrontServerExpectsItThenTheFieldsAndAnEmptyLine(StatusLineStyle style, string statusLine)
    {
        var head = new ResponseHead { StatusCode = 200 };
        head.Headers.Add(new("Content-Type", "text/plain; charset=utf-8"));
        head.Headers.Add(new("Set-Cookie", "a=1"));
        head.Headers.Add(new("Set-Cookie", "b=2"));
        var output = new ArrayBufferWriter<byte>();

        CgiResponseWriter.Write(output, head, style);

        Assert.Equal(statusLine + "Content-Type: text/plain; charset=utf-8\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
            Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData(404, null, "Status: 404 Not Found\r\n")]
    [InlineData(299, null, "Status: 299\r\n")]
    [InlineData(418, "I'm a teapot", "Status: 418 I'm a teapot\r\n")]
    [InlineData(200, "Caf\u00E9", "Status: 200 Caf\u00E9\r\n")]
    public void TheReasonIsTheAppsOrTheStandardOne(int code, string? reason, string expected)
    {
        var output = new ArrayBufferWriter<byte>();

        CgiResponseWriter.Write(output, code, reason, [], StatusLineStyle.CgiStatusHeader);

        Assert.Equal(expected + "\r\n", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WhatTheWriterWritesTheReaderReadsBack()
    {
        var output = new ArrayBufferWriter<byte>();
        CgiResponseWriter.Write(output, 301, null, [new("Location", "https://x/"), new("Content-Type", "text/html"), new("X-V", "\u00E9")],
            StatusLineStyle.CgiStatusHeader);

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(output.WrittenMemory));
        Assert.Equal(OperationStatus.Done, CgiResponseReader.TryRead(ref reader, CgiResponseLimits.Default, out CgiResponse? response, out _));

        Assert.Equal(CgiResponseKind.ClientRedirectWithDocument, response!.Kind);
        Assert.Equal(301, response.StatusCode);
        Assert.Equal([new("Location", "https://x/"), new("Content-Type", "text/html"), new("X-V", "\u00E9")], response.Headers);
        Assert.True(reader.End);
    }
}
