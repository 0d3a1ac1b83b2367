using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Http.Observability;
using PyHost.Workers.Posix;
using PyHost.Workers.Supervision;

namespace PyHost.Hosting.Logging;

/// <summary>
/// The error log: stderr, or the --error-logfile opened for appending (O_APPEND) and opened again on SIGUSR1. It takes
/// PyHost's own messages (filtered by --log-level before they get here) and the workers' output (never filtered),
/// each batch of lines in one write. Lines are in gunicorn's format, <c>[2026-11-21 10:00:00 +0000] [1234] [INFO] ...</c>,
/// except when stderr is the journal ($JOURNAL_STREAM names it): then each line starts with its sd-daemon priority
/// (<c>&lt;3&gt;</c> for an error, sd-daemon(3)) and carries no time or pid, which journald records itself, so
/// <c>journalctl -p err</c> finds tracebacks and worker deaths. With <c>--error-log-format json</c> each message is one
/// JSON object on one line (<see cref="JsonErrorLogFormatter"/>). Control characters from clients and apps (ESC, BEL,
/// CR) are escaped in text lines (<see cref="LogEscaping"/>): they must not rewrite a terminal that tails the log.
/// </summary>
public sealed class ErrorLog : IWorkerOutputSink, IDisposable
{
    private const int StandardErrorDescriptor = 2;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Lock _gate = new();
    private readonly string? _path;
    private readonly string _pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private TextWriter _writer;
    private long _prefixSecond = -1;
    private readonly string[] _prefixes = new string[(int)LogLevel.None];

    private ErrorLog(string? path, TextWriter writer, bool journal, bool json)
    {
        _path = path;
        _writer = writer;
        IsJournal = journal;
        IsJson = json;
    }

    /// <summary>Whether messages are written as JSON lines.</summary>
    public bool IsJson { get; }

    /// <summary>Whether lines carry sd-daemon priority prefixes (stderr is connected to the journal).</summary>
    public bool IsJournal { get; }

    /// <summary>The file, or null for stderr.</summary>
    public string? Path => _path;

    /// <summary>'-' or null is stderr; anything else a file. Throws <see cref="FileOpenException"/> with one line.</summary>
    public static ErrorLog Open(string? target, bool json = false)
    {
        if (target is null or "-")
        {
            return new ErrorLog(null, NewWriter(Console.OpenStandardError()), StandardErrorIsJournal(), json);
        }
        string path = System.IO.Path.GetFullPath(target);
        return new ErrorLog(path, NewWriter(AppendOnlyFile.Open(path, "open the error log")), journal: false, json);
    }

    /// <summary>SIGUSR1: opens the file again by its name; on failure keeps the old one and returns why.</summary>
    public string? Reopen()
    {
        if (_path is null)
        {
            return null;
        }
        TextWriter fresh;
        try
        {
            fresh = NewWriter(AppendOnlyFile.Open(_path, "reopen the error log"));
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
        TextWriter old;
        lock (_gate)
        {
            old = _writer;
            _writer = fresh;
        }
        old.Dispose();
        return null;
    }

    /// <summary>One of PyHost's own messages; a multi-line one keeps its level on every line in the journal.</summary>
    public void Write(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        if (IsJson)
        {
            WriteJson(level, JsonErrorLogFormatter.Format(DateTimeOffset.Now, Environment.ProcessId, level, category, eventId, message, exception));
            return;
        }
        lock (_gate)
        {
            string prefix = Prefix(level);
            AppendLines(prefix, LogEscaping.EscapeControls(message));
            if (exception is not null)
            {
                AppendLines(prefix, exception.ToString());
            }
            Flush();
        }
    }

    /// <summary>A batch of a worker's output lines: stderr at ERROR, stdout at INFO, in one write.</summary>
    public void Write(string worker, WorkerOutputStream stream, IReadOnlyList<string> lines)
    {
        LogLevel level = stream == WorkerOutputStream.StandardError ? LogLevel.Error : LogLevel.Information;
        if (IsJson)
        {
            DateTimeOffset now = DateTimeOffset.Now;
            foreach (string line in lines)
            {
                WriteJson(level, JsonErrorLogFormatter.Format(now, Environment.ProcessId, level, "pyhost.app", default, line, null, worker));
            }
            return;
        }
        lock (_gate)
        {
            string prefix = Prefix(level) + "[" + worker + "] ";
            try
            {
                foreach (string line in lines)
                {
                    _writer.Write(prefix);
                    _writer.Write(LogEscaping.EscapeControls(line));
                    _writer.Write('\n');
                }
            }
            catch (IOException)
            {
                // A full disk or a closed stderr must not take the server down; the lines are lost.
            }
            Flush();
        }
    }

    /// <summary>One JSON line; in the journal it starts with its priority, which journald takes off.</summary>
    private void WriteJson(LogLevel level, string line)
    {
        lock (_gate)
        {
            try
            {
                if (IsJournal)
                {
                    _writer.Write(JournalPriority(level));
                }
                _writer.Write(line);
                _writer.Write('\n');
            }
            catch (IOException)
            {
                // A full disk or a closed stderr must not take the server down; the line is lost.
            }
            Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }

    /// <summary>The line prefix, made once a second per level: formatting the time for every line of a chatty app
    /// was a large part of what its logging cost the front. Called under the lock.</summary>
    private string Prefix(LogLevel level)
    {
        if (IsJournal)
        {
            return JournalPriority(level);
        }
        DateTimeOffset now = DateTimeOffset.Now;
        long second = now.ToUnixTimeSeconds();
        if (second != _prefixSecond)
        {
            _prefixSecond = second;
            Array.Clear(_prefixes);
        }
        return _prefixes[(int)level] ??= Format(now, level);

        string Format(DateTimeOffset time, LogLevel forLevel)
        {
            string offset = time.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "");
            return $"[{time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {offset}] [{_pid}] [{LevelName(forLevel)}] ";
        }
    }

    private void AppendLines(string prefix, string text)
    {
        try
        {
            if (!IsJournal)
            {
                _writer.Write(prefix);
                _writer.Write(text);
                _writer.Write('\n');
                return;
            }
            foreach (string line in text.Split('\n'))
            {
                _writer.Write(prefix);
                _writer.Write(line);
                _writer.Write('\n');
            }
        }
        catch (IOException)
        {
            // A full disk or a closed stderr must not take the server down; the line is lost.
        }
    }

    /// <summary>One write(2) for what was written since the last flush (the writer's buffer holds 64 KiB).</summary>
    private void Flush()
    {
        try
        {
            _writer.Flush();
        }
        catch (IOException)
        {
        }
    }

    private static TextWriter NewWriter(Stream stream) => new StreamWriter(stream, Utf8, bufferSize: 64 * 1024) { AutoFlush = false };

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        _ => "CRITICAL",
    };

    /// <summary>sd-daemon(3) priorities: 7 debug, 6 info, 4 warning, 3 error, 2 critical.</summary>
    private static string JournalPriority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "<7>",
        LogLevel.Information => "<6>",
        LogLevel.Warning => "<4>",
        LogLevel.Error => "<3>",
        _ => "<2>",
    };

    /// <summary>What a line written straight to stderr (a start-up error, before or beside the log) starts with: the
    /// error priority when stderr is the journal, else nothing.</summary>
    public static string ErrorPrefixForStandardError() => StandardErrorIsJournal() ? "<3>" : "";

    /// <summary>systemd sets $JOURNAL_STREAM to the device and inode of the stream it gave as stderr; a match means
    /// stderr is still that stream (not redirected by a wrapper script), systemd.exec(5).</summary>
    private static bool StandardErrorIsJournal()
    {
        string? value = Environment.GetEnvironmentVariable("JOURNAL_STREAM");
        if (string.IsNullOrEmpty(value) || value.Split(':') is not [var device, var inode]
            || !ulong.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out ulong deviceNumber)
            || !ulong.TryParse(inode, NumberStyles.None, CultureInfo.InvariantCulture, out ulong inodeNumber))
        {
            return false;
        }
        return LibC.IdentityOf(StandardErrorDescriptor) == new FileIdentity(deviceNumber, inodeNumber);
    }
}
