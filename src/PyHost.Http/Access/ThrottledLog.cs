using System.Diagnostics;

namespace PyHost.Http.Access;

/// <summary>
/// At most one log line per interval for an event that an attack can repeat thousands of times a second; the line
/// says how many happened since the last one.
/// </summary>
public sealed class ThrottledLog(TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    private long _nextAt;
    private int _since;

    /// <summary>Counts one event; true when a line is due, with the events it covers.</summary>
    public bool ShouldLog(out int count)
    {
        Interlocked.Increment(ref _since);
        long now = Stopwatch.GetTimestamp();
        long next = Interlocked.Read(ref _nextAt);
        if (now >= next && Interlocked.CompareExchange(ref _nextAt, now + _intervalTicks, next) == next)
        {
            count = Interlocked.Exchange(ref _since, 0);
            return true;
        }
        count = 0;
        return false;
    }
}
