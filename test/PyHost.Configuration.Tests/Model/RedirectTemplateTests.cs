using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class RedirectTemplateTests
{
    [Theory]
    [InlineData("https://{host}{uri}", "https://example.com/a/b?x=1")]
    [InlineData("https://{host}{path}", "https://example.com/a/b")]
    [InlineData("/new{path}{query}", "/new/a/b?x=1")]
    [InlineData("{scheme}://other.example{uri}", "http://other.example/a/b?x=1")]
    [InlineData("/literal/{{braces}}", "/literal/{braces}")]
    public void ExpandsPlaceholders(string template, string expected)
    {
        Assert.True(RedirectTemplate.TryParse(template, out RedirectTemplate? parsed, out string? error), error);
        Assert.Equal(expected, parsed.Expand("http", "example.com", "/a/b", "x=1"));
    }

    [Fact]
    public void QueryIsEmptyWithoutAQuestionMarkWhenThereIsNone()
    {
        Assert.True(RedirectTemplate.TryParse("/to{path}{query}", out RedirectTemplate? parsed, out _));
        Assert.Equal("/to/a", parsed.Expand("https", "h", "/a", ""));
    }

    [Theory]
    [InlineData("https://{hots}{uri}", "did you mean {host}?")]
    [InlineData("https://{host", "is not closed")]
    [InlineData("https://host}", "closes nothing")]
    [InlineData("", "empty")]
    public void RefusesBrokenTemplates(string template, string message)
    {
        Assert.False(RedirectTemplate.TryParse(template, out _, out string? error));
        Assert.Contains(message, error);
    }
}
