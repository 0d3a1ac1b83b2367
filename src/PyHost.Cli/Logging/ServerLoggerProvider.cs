using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PyHost.Cli.Logging;

/// <summary>
/// The error log, in gunicorn's line format so existing log tooling keeps working:
/// <c>[2026-11-21 10:00:00 +0000] [1234] [INFO] message</c>. One lock, one line at a time.
/// </summary>
public sealed class ServerLoggerProvider : ILoggerProvider
{
    private readonly TextWriter _writer;
    private readonly LogLevel _minimum;
    private readonly string _pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private readonly bool _json;

    /// <param name="json">JSON lines (<see cref="JsonErrorLogFormatter"/>) instead of gunicorn's text lines.</param>
    public ServerLoggerProvider(TextWriter writer, LogLevel minimum, bool json = false)
    {
        _writer = writer;
        _minimum = minimum;
        _json = json;
    }

    public ILogger CreateLogger(string categoryName) => new ServerLogger(this, categoryName);

    public void Dispose() => _writer.Flush();

    private void Write(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        DateTimeOffset now = DateTimeOffset.Now;
        if (_json)
        {
            string jsonLine = JsonErrorLogFormatter.Format(now, Environment.ProcessId, level, category, eventId, message, exception);
            lock (_writer)
            {
                _writer.WriteLine(jsonLine);
                _writer.Flush();
            }
            return;
        }
        // A client's or an app's control characters (ESC, BEL, CR) must not reach a terminal that tails the log.
        message = PyHost.Http.Observability.LogEscaping.EscapeControls(message);
        string offset = now.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "");
        string line = $"[{now:yyyy-MM-dd HH:mm:ss} {offset}] [{_pid}] [{LevelName(level)}] {message}";
        lock (_writer)
        {
            _writer.WriteLine(line);
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
            _writer.Flush();
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        _ => "CRITICAL",
    };

    private sealed class ServerLogger(ServerLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, eventId, formatter(state, exception), exception);
            }
        }
    }
}
