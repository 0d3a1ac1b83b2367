using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class HostPatternTests
{
    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "EXAMPLE.com", true)]
    [InlineData("example.com", "example.com.", true)]
    [InlineData("example.com", "www.example.com", false)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("localhost", "localhost", true)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("[::1]", "[::1]", true)]
    public void MatchesHostNames(string pattern, string host, bool matches)
    {
        Assert.True(HostPattern.TryParse(pattern, out HostPattern? parsed, out string? error, out _), error);
        Assert.Equal(matches, parsed.Matches(host));
    }

    [Theory]
    [InlineData("*", "without 'hosts'")]
    [InlineData("example.com:8000", "port belongs to [[listen]]")]
    [InlineData("https://example.com", "write the name only")]
    [InlineData("www.*.com", "whole first label")]
    [InlineData("exa mple.com", "letters, digits")]
    [InlineData("-bad.example.com", "letters, digits")]
    public void RefusesWhatIsNotAHostNameWithAHint(string pattern, string hint)
    {
        Assert.False(HostPattern.TryParse(pattern, out _, out _, out string? hintText));
        Assert.Contains(hint, hintText);
    }
}
