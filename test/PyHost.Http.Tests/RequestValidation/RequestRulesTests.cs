using Microsoft.Extensions.Primitives;
using PyHost.Http.RequestValidation;

namespace PyHost.Http.Tests.RequestValidation;

public class RequestRulesTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/a/b?c=d&e=%00")]
    [InlineData("*")]
    [InlineData("http://example.com/a?b")]
    [InlineData("/caf\u00e9/\"<>{}|\\^`")]
    public void ATargetWithoutControlsOrFragmentPasses(string target)
    {
        Assert.Null(RequestRules.CheckTarget(target));
    }

    [Theory]
    [InlineData("/a\u0001b", "0x01")]
    [InlineData("/a\u007fb", "0x7F")]
    [InlineData("/a\tb", "0x09")]
    [InlineData("/a\u000bb", "0x0B")]
    [InlineData("/a b", "0x20")]
    [InlineData("/a?b=\u001f", "0x1F")]
    public void AControlCharacterInTheTargetIs400(string target, string named)
    {
        RequestRejection? rejection = RequestRules.CheckTarget(target);

        Assert.Equal(400, rejection?.StatusCode);
        Assert.Contains(named, rejection?.Reason);
    }

    [Theory]
    [InlineData("/a#frag")]
    [InlineData("/a?q=1#frag")]
    [InlineData("http://x/a#f")]
    public void AFragmentInTheTargetIs400(string target)
    {
        Assert.Contains("fragment", RequestRules.CheckTarget(target)?.Reason);
    }

    [Theory]
    [InlineData("Fo(o")]
    [InlineData("F\u0001o")]
    [InlineData("F\"o")]
    [InlineData("F@o")]
    [InlineData("F/o")]
    [InlineData("F[o")]
    [InlineData("F]o")]
    [InlineData("F\u007fo")]
    [InlineData("F o")]
    [InlineData("F,o")]
    [InlineData("F=o")]
    [InlineData("F{o")]
    [InlineData("F\u00e9o")]
    [InlineData("")]
    public void AFieldNameThatIsNotATokenIs400InBothProtocols(string name)
    {
        foreach (bool http1 in new[] { true, false })
        {
            RequestRejection? rejection = RequestRules.CheckField(name, "v", http1, 8190);
            Assert.Equal(400, rejection?.StatusCode);
            Assert.Contains("not a token", rejection?.Reason);
        }
    }

    [Fact]
    public void AControlCharacterInANameIsShownEscapedInTheReason()
    {
        Assert.Contains("F\\x01o", RequestRules.CheckField("F\u0001o", "v", true, 0)?.Reason);
    }

    [Theory]
    [InlineData("X-Forwarded-For")]
    [InlineData("!#$%&'*+-.^_`|~09azAZ")]
    public void ATokenNamePasses(string name)
    {
        Assert.Null(RequestRules.CheckField(name, "value", http1: true, 8190));
    }

    [Theory]
    [InlineData("keep-alive")]
    [InlineData("proxy-connection")]
    [InlineData("transfer-encoding")]
    [InlineData("upgrade")]
    public void AConnectionSpecificFieldIs400InHttp2Only(string name)
    {
        Assert.Equal(400, RequestRules.CheckField(name, "x", http1: false, 8190)?.StatusCode);
        Assert.Null(RequestRules.CheckField(name, "x", http1: true, 8190));
    }

    [Fact]
    public void Http2PseudoHeadersAreLeftToKestrel()
    {
        Assert.Null(RequestRules.CheckField(":authority", "x", http1: false, 8190));
    }

    [Theory]
    [InlineData(" a")]
    [InlineData("a\t")]
    public void AnHttp2ValueWithWhitespaceAroundIs400(string value)
    {
        Assert.Equal(400, RequestRules.CheckField("x-a", value, http1: false, 8190)?.StatusCode);
    }

    [Fact]
    public void AFieldLineOverTheLimitIs431AndOneAtItPasses()
    {
        // "Name: value" is 4 + 2 + 10 = 16 bytes.
        Assert.Null(RequestRules.CheckField("Name", new string('v', 10), http1: true, 16));
        Assert.Equal(431, RequestRules.CheckField("Name", new string('v', 11), http1: true, 16)?.StatusCode);
        Assert.Equal(431, RequestRules.CheckField("Name", new StringValues(["short", new string('v', 11)]), http1: true, 16)?.StatusCode);
        Assert.Null(RequestRules.CheckField("Name", new string('v', 100_000), http1: true, 0));
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    [InlineData(", chunked")]
    [InlineData("chunked ,")]
    public void ExactlyChunkedPasses(string value)
    {
        Assert.Null(RequestRules.CheckTransferEncoding(value, http10: false));
    }

    [Fact]
    public void ChunkedTwiceIs400OnOneLineOrTwo()
    {
        Assert.Equal(400, RequestRules.CheckTransferEncoding("chunked, chunked", false)?.StatusCode);
        Assert.Equal(400, RequestRules.CheckTransferEncoding(new StringValues(["chunked", "chunked"]), false)?.StatusCode);
    }

    [Fact]
    public void AnotherCodingBeforeChunkedIs501OnOneLineOrTwo()
    {
        Assert.Equal(501, RequestRules.CheckTransferEncoding("gzip, chunked", false)?.StatusCode);
        Assert.Equal(501, RequestRules.CheckTransferEncoding(new StringValues(["gzip", "chunked"]), false)?.StatusCode);
        Assert.Equal(501, RequestRules.CheckTransferEncoding("identity, chunked", false)?.StatusCode);
    }

    [Fact]
    public void TransferEncodingInAnHttp10RequestIs400WhateverItSays()
    {
        RequestRejection? rejection = RequestRules.CheckTransferEncoding("chunked", http10: true);

        Assert.Equal(400, rejection?.StatusCode);
        Assert.Contains("HTTP/1.0", rejection?.Reason);
    }
}
