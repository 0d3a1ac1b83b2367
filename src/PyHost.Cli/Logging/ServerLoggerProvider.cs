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

    public ServerLoggerProvider(TextWriter writer, LogLevel minimum)
    {
        _writer = writer;
        _minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new ServerLogger(this);

    public void Dispose() => _writer.Flush();

    private void Write(LogLevel level, string message, Exception? exception)
    {
        DateTimeOffset now = DateTimeOffset.Now;
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

    private sealed class ServerLogger(ServerLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
