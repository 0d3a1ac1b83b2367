using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

public enum ErrorLogFormat
{
    Text,
    Json,
}

public enum LogLevel
{
    Debug,
    Info,
    Warning,
    Error,
    Critical,
}

/// <summary><c>[log]</c>: the error log and the access log.</summary>
public sealed record LogConfig
{
    public LogLevel Level { get; init; } = LogLevel.Info;

    /// <summary>A file, or "-" for stderr.</summary>
    public string ErrorLog { get; init; } = "-";

    /// <summary>A file, "-" for stdout, or null for none.</summary>
    public string? AccessLog { get; init; }

    /// <summary>"combined", "combined_site", "vhost_combined", "json", or a gunicorn access_log_format string of %(x)s atoms.</summary>
    public string AccessFormat { get; init; } = "combined";

    /// <summary>The error log's lines: gunicorn's text, or JSON objects.</summary>
    public ErrorLogFormat ErrorFormat { get; init; } = ErrorLogFormat.Text;

    public static ConfigTable<LogConfig> Table { get; } = new("[log]", "The error log and the access log.", () => new LogConfig())
    {
        { "level", new ChoiceType<LogLevel>([("debug", LogLevel.Debug), ("info", LogLevel.Info), ("warning", LogLevel.Warning), ("error", LogLevel.Error), ("critical", LogLevel.Critical)]), "PyHost's own messages below this level are left out; the app's output always reaches the error log. gunicorn: --log-level.", l => l.Level, (l, v) => l with { Level = v } },
        { "error_log", Types.LogTarget, "Where the error log goes: a file (opened for append), or \"-\" for stderr. gunicorn: --error-logfile.", l => l.ErrorLog, (l, v) => l with { ErrorLog = v } },
        { "access_log", Types.Optional(Types.LogTarget), "Where the access log goes: a file, or \"-\" for stdout. Default: no access log. gunicorn: --access-logfile.", l => l.AccessLog, (l, v) => l with { AccessLog = v }, "none" },
        { "access_format", Types.NonEmptyText, "\"combined\" (Apache's and nginx's), \"combined_site\" (combined, then site=\"…\" app=\"…\"), \"vhost_combined\" (Apache's, the site first), \"json\" (one object per line), or a gunicorn format of %(h)s-style atoms (PyHost adds %(site)s, %(app)s, %(request_id)s, %(worker)s). gunicorn: --access-logformat.", l => l.AccessFormat, (l, v) => l with { AccessFormat = v } },
        { "error_format", Types.Choice(("text", ErrorLogFormat.Text), ("json", ErrorLogFormat.Json)), "The error log's lines: \"text\" (gunicorn's) or \"json\" (one object per line: time, level, pid, logger, event_id, message).", l => l.ErrorFormat, (l, v) => l with { ErrorFormat = v } },
    };
}
