using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Supervision;

/// <summary>Which of a worker's pipes a line came from.</summary>
public enum WorkerOutputStream
{
    StandardOutput,
    StandardError,
}

/// <summary>
/// Where the app's own output goes: what a worker prints, its tracebacks, faulthandler's stack dumps. Never filtered
/// by --log-level, which is for PyHost's own messages: stderr lines are logged at ERROR (Python writes tracebacks and
/// logging's warnings there), stdout lines at INFO. Lines come in batches, as they were read from the pipe.
/// </summary>
public interface IWorkerOutputSink
{
    void Write(string worker, WorkerOutputStream stream, IReadOnlyList<string> lines);
}

/// <summary>The sink when none is given: one log call per line (tests and embedding; the server uses its error log).</summary>
internal sealed partial class LoggerOutputSink(ILogger logger) : IWorkerOutputSink
{
    private readonly ILogger _logger = logger;

    public void Write(string worker, WorkerOutputStream stream, IReadOnlyList<string> lines)
    {
        foreach (string line in lines)
        {
            if (stream == WorkerOutputStream.StandardError)
            {
                LogError(worker, line);
            }
            else
            {
                LogOutput(worker, line);
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "[{Worker}] {Line}")]
    private partial void LogOutput(string worker, string line);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "[{Worker}] {Line}")]
    private partial void LogError(string worker, string line);
}

/// <summary>
/// Reads one of a worker's pipes to its end and hands the sink whole lines, as many as each read brought: one log
/// write per read, not per line. A line longer than <see cref="OutputLineSplitter.MaxLineBytes"/> is cut into pieces,
/// so what the app writes without a newline costs the front a bounded buffer, not the line's size. Reading to end of
/// file (not to the process's exit) keeps the last lines a dying worker wrote, such as a timed-out worker's stack.
/// </summary>
internal static class WorkerOutputRelay
{
    private const int ReadSize = 64 * 1024;

    // An app that logs a lot writes one line per write(2). After a short read the relay waits this long, so the
    // next lines gather in the pipe and come in one read and one log write: with 16 KiB of logging per request in
    // 128 lines, the front's share fell from about 330 to about 150 µs of CPU per request. Log lines are late by at
    // most this; a long read (a busy pipe) is followed at once by the next.
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(5);
    private const int LongRead = 16 * 1024;

    public static async Task RunAsync(Stream pipe, WorkerProcess worker, WorkerOutputStream stream, IWorkerOutputSink sink)
    {
        var buffer = new byte[ReadSize];
        var splitter = new OutputLineSplitter();
        var lines = new List<string>();
        try
        {
            int read;
            while ((read = await pipe.ReadAsync(buffer)) > 0)
            {
                splitter.Feed(buffer.AsSpan(0, read), lines);
                if (lines.Count > 0)
                {
                    sink.Write(worker.Name, stream, lines);
                    lines.Clear();
                }
                if (read < LongRead)
                {
                    await Task.Delay(GatherDelay);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The pipe broke: nothing more will come from it.
        }
        finally
        {
            splitter.Finish(lines);
            if (lines.Count > 0)
            {
                sink.Write(worker.Name, stream, lines);
            }
            await pipe.DisposeAsync();
        }
    }
}
