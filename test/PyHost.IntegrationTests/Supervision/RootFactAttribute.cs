using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>
/// A fact that needs root (changing user is root's privilege), skipped with that reason otherwise. CI runs as root,
/// and there a skip would hide that the test never ran: with CI=true and not root, the test fails saying why
/// (<see cref="RootFactDiscoverer"/>).
/// </summary>
[XunitTestCaseDiscoverer("PyHost.IntegrationTests.Supervision." + nameof(RootFactDiscoverer), "PyHost.IntegrationTests")]
public sealed class RootFactAttribute : FactAttribute
{
    public const string DefaultWhy = "only root can start workers as another user (--user)";

    public RootFactAttribute()
        : this(DefaultWhy)
    {
    }

    /// <param name="why">Why the test needs root, for the skip message.</param>
    public RootFactAttribute(string why)
    {
        if (Decide(IsRoot, Environment.GetEnvironmentVariable("CI")) == RootFactVerdict.Skip)
        {
            Skip = $"Needs root: {why}. CI runs the tests as root.";
        }
    }

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Run as root; otherwise skip, except under CI (CI=true, as CI services and .ci/run set it), where it fails.</summary>
    public static RootFactVerdict Decide(bool isRoot, string? ci) =>
        isRoot ? RootFactVerdict.Run
        : string.Equals(ci, "true", StringComparison.OrdinalIgnoreCase) || ci == "1" ? RootFactVerdict.Fail
        : RootFactVerdict.Skip;

    public static string FailureMessage(string why) =>
        $"Needs root: {why}. CI=true and this test runs as user {GetEffectiveUserId()}: in CI, which runs the tests as root, " +
        "a skip would hide that it never ran. Run the tests as root, or without CI=true to skip it.";

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}

public enum RootFactVerdict
{
    Run,
    Skip,
    Fail,
}

/// <summary>Finds a <see cref="RootFactAttribute"/> test as a fact, or as a test that fails with why when it cannot run under CI.</summary>
public sealed class RootFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        if (RootFactAttribute.Decide(RootFactAttribute.IsRoot, Environment.GetEnvironmentVariable("CI")) != RootFactVerdict.Fail)
        {
            return base.CreateTestCase(discoveryOptions, testMethod, factAttribute);
        }
        string why = factAttribute.GetConstructorArguments().OfType<string>().FirstOrDefault() ?? RootFactAttribute.DefaultWhy;
        return new ExecutionErrorTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod, RootFactAttribute.FailureMessage(why));
    }
}
