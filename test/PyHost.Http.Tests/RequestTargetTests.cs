using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests;

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

    [Theory]
    [InlineData("/a/b?x=1&y=%2F", "/a/b", "x=1&y=%2F")]
    [InlineData("/a?", "/a", "")]
    [InlineData("/a", "/a", "")]
    [InlineData("/a?b?c", "/a", "b?c")]
    [InlineData("http://example.com/p?q=1", "/p", "q=1")]
    [InlineData("http://example.com?q=1", "/", "q=1")]
    [InlineData("*", "", "")]
    public void SplitGivesThePathAndTheQueryStillEncoded(string target, string expectedPath, string expectedQuery)
    {
        RequestTarget.Split(target, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query);

        Assert.Equal(expectedPath, path.ToString());
        Assert.Equal(expectedQuery, query.ToString());
    }
}
