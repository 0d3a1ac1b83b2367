using System.Runtime.InteropServices;
using Xunit;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>A fact that needs root (changing user is root's privilege), skipped with that reason otherwise. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
        : this("only root can start workers as another user (--user)")
    {
    }

    /// <param name="why">Why the test needs root, for the skip message.</param>
    public RootFactAttribute(string why)
    {
        if (GetEffectiveUserId() != 0)
        {
            Skip = $"Needs root: {why}. CI runs the tests as root.";
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
