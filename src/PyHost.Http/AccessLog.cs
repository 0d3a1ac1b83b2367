using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PyHost.Http.Observability;

namespace PyHost.Http;

/// <summary>
/// The access log, one line per request in the chosen <see cref="AccessLogFormat"/> (Apache's combined by default,
/// gunicorn's atoms, or JSON lines), written by one background task so requests never wait on the disk.
/// </summary>
public sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _writer;
    private readonly AccessLogFormat _format;
    private readonly Task _pump;

    public AccessLog(string target, AccessLogFormat? format = null)
    {
        _format = format ?? DefaultFormat;
        if (target == "-")
        {
            _writer = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        }
        else
        {
            _writer = new StreamWriter(new FileStream(target, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false));
        }
        _pump = Task.Run(PumpAsync);
    }

    private static AccessLogFormat DefaultFormat
    {
        get
        {
            AccessLogFormat.TryParse("combined", out AccessLogFormat format, out _);
            return format;
        }
    }

    public void Write(HttpContext context, RequestRecord record, TimeSpan duration)
    {
        HttpRequest request = context.Request;
        System.Net.IPAddress? remote = context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }
        var entry = new AccessLogEntry
        {
            Time = record.StartTime,
            RemoteAddress = remote?.ToString() ?? "-",
            RemotePort = context.Connection.RemotePort,
            ForwardedClient = record.ForwardedClient,
            Method = request.Method,
            Target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/",
            Protocol = request.Protocol,
            Status = context.Response.StatusCode,
            BodyBytes = record.BodyBytesSent,
            Duration = duration,
            RequestHeaders = request.Headers,
            ResponseHeaders = context.Response.Headers,
            RequestId = record.RequestId,
            App = record.App,
            WorkerId = record.WorkerId,
            Scheme = request.Scheme,
            ServerName = request.Host.HasValue ? request.Host.Host : context.Connection.LocalIpAddress?.ToString(),
            ServerPort = request.Host.Port ?? context.Connection.LocalPort,
        };
        _lines.Writer.TryWrite(_format.Format(entry));
    }

    /// <summary>Apache's %t: "21/Nov/2026:06:32:45 +0000", the offset without a colon.</summary>
    public static string FormatTime(DateTimeOffset time) => AccessLogFormat.FormatTime(time);

    private async Task PumpAsync()
    {
        ChannelReader<string> reader = _lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out string? line))
            {
                await _writer.WriteLineAsync(line);
            }
            await _writer.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump;
        await _writer.DisposeAsync();
    }
}
