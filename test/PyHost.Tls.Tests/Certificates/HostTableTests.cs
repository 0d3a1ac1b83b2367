using PyHost.Configuration.Model;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Tests.Certificates;

public sealed class HostTableTests
{
    private static HostTable<string> Table(params string[] patterns)
    {
        var table = new HostTable<string>();
        foreach (string pattern in patterns)
        {
            Assert.True(HostPattern.TryParse(pattern, out HostPattern? parsed, out _, out _));
            table.Add(parsed!, pattern);
        }
        return table;
    }

    [Theory]
    [InlineData("www.example.com", "www.example.com")]       // exact beats the wildcard
    [InlineData("shop.example.com", "*.example.com")]
    [InlineData("a.b.example.com", "*.b.example.com")]       // the longest wildcard
    [InlineData("c.d.example.com", "*.example.com")]         // any depth below
    [InlineData("WWW.Example.COM.", "www.example.com")]      // no case, no trailing dot
    [InlineData("example.com", null)]                        // a wildcard is not its own domain
    [InlineData("other.org", null)]
    [InlineData(null, null)]
    [InlineData("", null)]
    public void FindsExactThenTheLongestWildcard(string? host, string? expected) =>
        Assert.Equal(expected, Table("*.example.com", "www.example.com", "*.b.example.com").Find(host));

    [Fact]
    public void TheFirstEntryForANameWins()
    {
        var table = new HostTable<string>();
        Assert.True(HostPattern.TryParse("a.test", out HostPattern? pattern, out _, out _));
        table.Add(pattern!, "first");
        table.Add(pattern!, "second");
        Assert.Equal("first", table.Find("a.test"));
    }
}
