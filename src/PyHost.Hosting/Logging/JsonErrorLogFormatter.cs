using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PyHost.Hosting.Logging;

/// <summary>
/// The error log as JSON lines (<c>--error-log-format json</c>): one object per message, for log shippers that read
/// JSON. <c>{"time":…,"level":"error","pid":…,"logger":"pyhost.arbiter","event_id":204,"message":…}</c>, with the
/// exception's text under "exception" when there is one. A multi-line message (a traceback) stays one line.
/// </summary>
public static class JsonErrorLogFormatter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="worker">For a line of a worker's output: which worker wrote it ("worker 3 (pid 1234)").</param>
    public static string Format(DateTimeOffset time, int pid, LogLevel level, string category, EventId eventId, string message, Exception? exception,
        string? worker = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("time", time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(level));
            json.WriteNumber("pid", pid);
            json.WriteString("logger", category);
            if (eventId.Id != 0)
            {
                json.WriteNumber("event_id", eventId.Id);
            }
            if (worker is not null)
            {
                json.WriteString("worker", worker);
            }
            json.WriteString("message", message);
            if (exception is not null)
            {
                json.WriteString("exception", exception.ToString());
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>gunicorn's level names, lower-cased as JSON loggers write them.</summary>
    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };
}
