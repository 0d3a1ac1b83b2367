using System.Diagnostics;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>Eventually, for conditions that need a request to find out: asks again every 100 ms until the answer
/// satisfies the condition or the time is up.</summary>
public static class Poll
{
    /// <summary>Whether the condition held in time, and the last answer (to show in a failure message).</summary>
    public static async Task<(bool Held, T Last)> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await probe();
            if (condition(answer))
            {
                return (true, answer);
            }
            if (clock.Elapsed > timeout)
            {
                return (false, answer);
            }
            await Task.Delay(100);
        }
    }
}
