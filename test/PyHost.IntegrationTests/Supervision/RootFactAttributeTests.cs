using System.Reflection;
using Xunit;
using Xunit.Sdk;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>[RootFact]: runs as root, skips elsewhere, and fails under CI instead of hiding there that it never ran.</summary>
public sealed class RootFactAttributeTests
{
    [Theory]
    [InlineData(true, null, RootFactVerdict.Run)]
    [InlineData(true, "true", RootFactVerdict.Run)]
    [InlineData(false, null, RootFactVerdict.Skip)]
    [InlineData(false, "", RootFactVerdict.Skip)]
    [InlineData(false, "false", RootFactVerdict.Skip)]
    [InlineData(false, "true", RootFactVerdict.Fail)]
    [InlineData(false, "TRUE", RootFactVerdict.Fail)]
    [InlineData(false, "1", RootFactVerdict.Fail)]
    public void ATestThatNeedsRootFailsUnderCiAndIsSkippedElsewhereWithoutRoot(bool isRoot, string? ci, RootFactVerdict verdict)
    {
        Assert.Equal(verdict, RootFactAttribute.Decide(isRoot, ci));
    }

    [Fact]
    public void XunitFindsRootFactsThroughTheDiscovererThatFailsThem()
    {
        var discoverer = typeof(RootFactAttribute).GetCustomAttributesData().Single(data => data.AttributeType == typeof(XunitTestCaseDiscovererAttribute));
        string typeName = (string)discoverer.ConstructorArguments[0].Value!;
        string assemblyName = (string)discoverer.ConstructorArguments[1].Value!;

        Assert.Equal(typeof(RootFactDiscoverer), Type.GetType($"{typeName}, {assemblyName}"));
        Assert.Equal(Assembly.GetExecutingAssembly().GetName().Name, assemblyName);
    }
}
