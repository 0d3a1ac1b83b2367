using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OpenLoop;

/// <summary>
/// Starts requests at fixed times, rate per second for the given duration, on one thread of its own: request i is
/// due at start + i / rate whatever the server does (an open loop). It sleeps between requests with nanosleep and a
/// 1 µs timer slack rather than spinning (the server needs the cores), and sends a request up to
/// <see cref="EarlyTicks"/> before it is due rather than sleep for less than that.
/// </summary>
public sealed partial class Schedule(OpenLoopOptions options, ConnectionPool pool)
{
    private static readonly long EarlyTicks = Stopwatch.Frequency / 50_000; // 20 µs
    private static readonly long ScanTicks = Stopwatch.Frequency / 10;
    private const int PrSetTimerSlack = 29; // prctl(2)

    public long Scheduled { get; private set; }
    public long Slow { get; private set; }
    public double Seconds { get; private set; }

    public void Run()
    {
        _ = prctl(PrSetTimerSlack, 1000, 0, 0, 0); // the default 50 µs slack would make every send late
        byte[] fast = RequestBytes(options.Path), slow = RequestBytes(options.SlowPath ?? options.Path);
        var random = new Random(options.Seed);
        long timeout = (long)(options.TimeoutSeconds * Stopwatch.Frequency);
        double ticksPerRequest = Stopwatch.Frequency / options.Rate;
        long start = Stopwatch.GetTimestamp(), end = start + (long)(options.Seconds * Stopwatch.Frequency);
        long nextScan = start + ScanTicks;
        for (long i = 0; ; i++)
        {
            long due = start + (long)(i * ticksPerRequest);
            if (due >= end)
            {
                break;
            }
            long now = WaitUntil(due - EarlyTicks);
            if (now >= nextScan)
            {
                pool.AbortOlderThan(timeout, now);
                nextScan = now + ScanTicks;
            }
            bool isSlow = options.SlowPath is not null && random.Next(options.SlowEvery) == 0;
            pool.Dispatch(new ScheduledRequest(due, isSlow, isSlow ? slow : fast));
            Scheduled++;
            Slow += isSlow ? 1 : 0;
        }
        Seconds = (double)(end - start) / Stopwatch.Frequency;
        // The requests still running get up to the timeout to finish.
        long drainEnd = Stopwatch.GetTimestamp() + timeout;
        while (pool.Outstanding > 0 && Stopwatch.GetTimestamp() < drainEnd)
        {
            Thread.Sleep(10);
            pool.AbortOlderThan(timeout, Stopwatch.GetTimestamp());
        }
        pool.Close();
    }

    private byte[] RequestBytes(string path) => System.Text.Encoding.Latin1.GetBytes(
        $"GET {path} HTTP/1.1\r\nHost: {options.Host}:{options.Port}\r\nUser-Agent: openloop\r\n\r\n");

    private static long WaitUntil(long when)
    {
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            long left = when - now;
            if (left <= 0)
            {
                return now;
            }
            long nanoseconds = left * 1_000_000_000 / Stopwatch.Frequency;
            Sleep(nanoseconds);
        }
    }

    private static unsafe void Sleep(long nanoseconds)
    {
        var request = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
        _ = nanosleep(&request, null);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int nanosleep(Timespec* request, Timespec* remaining);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
