using System.Diagnostics;

namespace PyHost.AdminTests.Infrastructure;

/// <summary>Polls an asynchronous condition (an API call) without blocking a thread, which xUnit's few would need.</summary>
public static class Until
{
    public static async Task<bool> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }
}
