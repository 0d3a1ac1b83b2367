using System.Net;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Tests.Forwarding;

public class TrustedProxiesTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("127.0.0.2", false)]
    [InlineData("10.0.0.1", false)]
    public void TheDefaultTrustsLoopbackOnly(string address, bool trusted)
    {
        Assert.Equal(trusted, TrustedProxies.Loopback.Contains(IPAddress.Parse(address)));
        Assert.False(TrustedProxies.Loopback.TrustsUnixPeers);
    }

    [Theory]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "10.200.3.4", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "192.168.1.5", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "192.168.1.6", false)]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "fd12::1", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5, fd00::/8", "fe80::1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("[2001:db8::1]", "2001:db8::1", true)]
    [InlineData("*", "203.0.113.9", true)]
    [InlineData("", "127.0.0.1", false)]
    public void AddressesAndRangesAreMatched(string list, string address, bool trusted)
    {
        Assert.Equal(trusted, TrustedProxies.Parse(list).Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void AUnixPeerIsTrustedOnlyWhenTheListSaysUnixOrStar()
    {
        Assert.False(TrustedProxies.Parse("127.0.0.1").TrustsPeer(null));
        Assert.True(TrustedProxies.Parse("127.0.0.1,unix").TrustsPeer(null));
        Assert.True(TrustedProxies.Parse("*").TrustsPeer(null));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.1.2.3/8")]
    [InlineData("10")]
    [InlineData("10.1")]
    [InlineData("example.com")]
    [InlineData("fe80::1%eth0")]
    [InlineData("10.0.0.0/x")]
    public void AnEntryThatIsNoAddressOrRangeIsAnErrorNamingIt(string entry)
    {
        Assert.False(TrustedProxies.TryParse($"127.0.0.1,{entry}", out _, out string? error));
        Assert.Contains($"'{entry}'", error);
    }
}
