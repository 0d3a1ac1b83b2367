using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class RequestTargetTests
{
    [Theory]
    [InlineData("/static/a.css", "/static/a.css")]
    [InlineData("/static/a.css?v=3", "/static/a.css")]
    [InlineData("/static/a%20b.css?x", "/static/a%20b.css")]
    [InlineData("http://example.com/static/a.css?v=3", "/static/a.css")]
    [InlineData("http://example.com", "/")]
    [InlineData("http://example.com?q", "/")]
    [InlineData("*", "")]
    public void RawPathIsThePathStillEncoded(string rawTarget, string expected)
    {
        Assert.Equal(expected, RequestTarget.RawPath(rawTarget));
    }
}
