using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

/// <summary>Zope keeps its row: the run confirms it is still not installable from Debian, which is why it is not tested.</summary>
public sealed class ZopeTests(CompatibilityMatrix matrix, ITestOutputHelper output) : MatrixTest(matrix, output)
{
    [Fact]
    public Task ZopeIsNotInstalledFromDebian12() => CheckAsync(
        FrameworkRows.Zope,
        "Zope's application server cannot be imported by /usr/bin/python3",
        () =>
        {
            Assert.False(DebianPackages.CanImport("Zope2") || DebianPackages.CanImport("ZPublisher"),
                "Zope is importable now: write examples/zope and its tests, and drop the 'not packaged' note from FrameworkRows.Zope.");
            return Task.CompletedTask;
        });
}
