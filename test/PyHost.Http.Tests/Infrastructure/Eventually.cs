namespace PyHost.Http.Tests.Infrastructure;

/// <summary>Waits for a condition the code under test reaches on its own time, with a deadline that fails the test.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan within, string? what = null)
    {
        DateTime deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not reached within {within.TotalSeconds} s{(what is null ? "" : ": " + what)}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>The value once it has stopped changing for <paramref name="quiet"/>.</summary>
    public static async Task<long> SettlesAsync(Func<long> value, TimeSpan quiet, TimeSpan within)
    {
        DateTime deadline = DateTime.UtcNow + within;
        long last = value();
        DateTime since = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            long now = value();
            if (now != last)
            {
                last = now;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since >= quiet)
            {
                return now;
            }
        }
        Assert.Fail($"still changing after {within.TotalSeconds} s (at {last})");
        return last;
    }
}
