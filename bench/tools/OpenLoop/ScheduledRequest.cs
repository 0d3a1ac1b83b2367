namespace OpenLoop;

/// <summary>One request of the schedule. Times are <see cref="System.Diagnostics.Stopwatch"/> timestamps.</summary>
public sealed class ScheduledRequest(long due, bool slow, byte[] bytes)
{
    /// <summary>When the schedule says it starts, whatever the server is doing: latency counts from here, so a
    /// stalled server is not spared the requests it delayed (no coordinated omission).</summary>
    public long Due { get; } = due;

    public bool Slow { get; } = slow;

    public byte[] Bytes { get; } = bytes;

    public long Sent { get; set; }

    /// <summary>Already sent once on a kept-alive connection that the server had closed meanwhile.</summary>
    public bool Retried { get; set; }

    public volatile bool TimedOut;
}
