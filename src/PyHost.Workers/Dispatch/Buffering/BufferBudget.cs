using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Dispatch.Buffering;

/// <summary>
/// The front's buffer space, shared by every request: bytes are reserved before they are stored and released when
/// the client took them. Thread-safe; a reservation that does not fit fails, it never waits.
/// </summary>
public sealed partial class BufferBudget
{
    private readonly ILogger _logger;
    private long _memory;
    private long _disk;
    private int _memoryWarned;
    private int _diskWarned;

    public BufferBudget(BufferLimits limits, ILogger logger)
    {
        Limits = limits;
        _logger = logger;
    }

    public BufferLimits Limits { get; }

    /// <summary>Bytes held in memory right now, all requests together.</summary>
    public long MemoryInUse => Interlocked.Read(ref _memory);

    /// <summary>Bytes held in temporary files right now, all requests together.</summary>
    public long DiskInUse => Interlocked.Read(ref _disk);

    public bool TryReserveMemory(long bytes) => TryReserve(ref _memory, bytes, Limits.MemoryTotal, ref _memoryWarned, "memory");

    public void ReleaseMemory(long bytes) => Release(ref _memory, bytes, Limits.MemoryTotal, ref _memoryWarned);

    public bool TryReserveDisk(long bytes) => TryReserve(ref _disk, bytes, Limits.DiskTotal, ref _diskWarned, "disk");

    public void ReleaseDisk(long bytes) => Release(ref _disk, bytes, Limits.DiskTotal, ref _diskWarned);

    private bool TryReserve(ref long used, long bytes, long limit, ref int warned, string kind)
    {
        long after = Interlocked.Add(ref used, bytes);
        if (after <= limit)
        {
            return true;
        }
        Interlocked.Add(ref used, -bytes);
        // Said once until use falls back under half the limit, so that a flood does not flood the log too.
        if (Interlocked.Exchange(ref warned, 1) == 0)
        {
            LogBudgetReached(kind, limit / (1024 * 1024));
        }
        return false;
    }

    private static void Release(ref long used, long bytes, long limit, ref int warned)
    {
        // Once use has fallen back under half the limit, the next time it is reached is worth a line again.
        if (Interlocked.Add(ref used, -bytes) < limit / 2 && Volatile.Read(ref warned) != 0)
        {
            Volatile.Write(ref warned, 0);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning,
        Message = "The front's buffer {Kind} budget ({LimitMib} MiB) is used up: request bodies get 503, and workers wait for their clients until it frees up")]
    private partial void LogBudgetReached(string kind, long limitMib);
}
