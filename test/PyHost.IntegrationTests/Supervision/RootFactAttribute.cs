using System.Runtime.InteropServices;
using Xunit;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>A fact that needs root (changing user is root's privilege), skipped with that reason otherwise. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (GetEffectiveUserId() != 0)
        {
            Skip = "Needs root: only root can start workers as another user (--user). CI runs the tests as root.";
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
