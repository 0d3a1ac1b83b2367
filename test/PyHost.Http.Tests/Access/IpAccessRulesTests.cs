using Microsoft.Extensions.Logging.Abstractions;
using PyHost.Http.Access;

namespace PyHost.Http.Tests.Access;

public sealed class IpAccessRulesTests
{
    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("10.0.0.5", false)]           // denied before allowed
    [InlineData("192.0.2.7", true)]
    [InlineData("192.0.2.8", false)]          // not in allow
    [InlineData("::ffff:10.9.9.9", true)]     // IPv4-mapped counts as its IPv4
    [InlineData("2001:db8::1", true)]
    [InlineData("2001:db9::1", false)]
    [InlineData("", false)]                   // unknown: in no allow list
    public void DenyIsLookedAtFirstThenOnlyTheAllowListGetsIn(string client, bool admitted)
    {
        var rules = new IpAccessRules(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], ["10.0.0.5"], NullLogger.Instance);
        Assert.Equal(admitted, rules.Admits(client));
    }

    [Theory]
    [InlineData("203.0.113.9", false)]
    [InlineData("203.0.114.1", true)]
    [InlineData("", true)]
    public void ADenyListAloneLetsEveryoneElseIn(string client, bool admitted) =>
        Assert.Equal(admitted, new IpAccessRules([], ["203.0.113.0/24"], NullLogger.Instance).Admits(client));
}
