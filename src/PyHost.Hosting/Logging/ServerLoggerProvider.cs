using Microsoft.Extensions.Logging;

namespace PyHost.Hosting.Logging;

/// <summary>PyHost's own log messages, at --log-level and above, into the <see cref="ErrorLog"/>.</summary>
public sealed class ServerLoggerProvider : ILoggerProvider
{
    private readonly ErrorLog _log;
    private readonly LogLevel _minimum;

    public ServerLoggerProvider(ErrorLog log, LogLevel minimum)
    {
        _log = log;
        _minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new ServerLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ServerLogger(ServerLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider._log.Write(logLevel, category, eventId, formatter(state, exception), exception);
            }
        }
    }
}
