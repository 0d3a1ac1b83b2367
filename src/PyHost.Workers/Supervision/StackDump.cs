using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace PyHost.Workers.Supervision;

/// <summary>How an on-demand stack dump went.</summary>
public enum StackDumpStatus
{
    Dumped,
    NoSuchWorker,
    /// <summary>The worker has not said READY yet, or cannot dump (no memfd on its platform).</summary>
    Unavailable,
    /// <summary>The worker wrote nothing within the deadline: it may be stopped (SIGSTOP) or gone.</summary>
    NoAnswer,
}

public readonly record struct StackDumpResult(StackDumpStatus Status, string Text);

/// <summary>
/// Reads a worker's Python stacks without stopping it (docs/protocol.md, "Stack dumps"): the worker's faulthandler
/// writes every thread's stack into an append-only memfd on SIGUSR2; we note the file's size, send the signal, and read
/// what was added through /proc/PID/fd/N once it stops growing. faulthandler writes the whole dump from inside one
/// signal handler, so a pause of <see cref="QuietPeriod"/> after the first bytes means it is complete.
/// </summary>
public sealed class StackDump
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private const long TruncateAbove = 1024 * 1024;

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public StackDump(int pid, int fd)
    {
        Pid = pid;
        Fd = fd;
    }

    public int Pid { get; }

    public int Fd { get; }

    public async Task<StackDumpResult> CaptureAsync(TimeSpan deadline)
    {
        // Two dumps at once would read each other's bytes: they take turns.
        if (!await _oneAtATime.WaitAsync(deadline))
        {
            return new(StackDumpStatus.NoAnswer, "another stack dump of this worker is still running");
        }
        try
        {
            return await CaptureCoreAsync(deadline);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<StackDumpResult> CaptureCoreAsync(TimeSpan deadline)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle($"/proc/{Pid}/fd/{Fd}", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(StackDumpStatus.Unavailable, $"cannot open the worker's stack file: {ex.Message}");
        }
        using (file)
        {
            long start = RandomAccess.GetLength(file);
            if (start > TruncateAbove)
            {
                // The worker appends (O_APPEND), so its next dump starts at the new end, 0.
                RandomAccess.SetLength(file, 0);
                start = 0;
            }
            if (!Signals.Send(Pid, Signals.SigUsr2))
            {
                return new(StackDumpStatus.Unavailable, "the worker is gone");
            }
            var clock = Stopwatch.StartNew();
            long seen = start;
            TimeSpan grewAt = TimeSpan.Zero;
            while (clock.Elapsed < deadline)
            {
                await Task.Delay(PollInterval);
                long now = RandomAccess.GetLength(file);
                if (now != seen)
                {
                    seen = now;
                    grewAt = clock.Elapsed;
                }
                else if (seen > start && clock.Elapsed - grewAt >= QuietPeriod)
                {
                    break;
                }
            }
            if (seen <= start)
            {
                return new(StackDumpStatus.NoAnswer, $"the worker wrote no stack within {deadline.TotalSeconds:0.#} s (stopped, or blocking SIGUSR2?)");
            }
            byte[] text = new byte[seen - start];
            int read = RandomAccess.Read(file, text, start);
            return new(StackDumpStatus.Dumped, System.Text.Encoding.UTF8.GetString(text, 0, read));
        }
    }
}
