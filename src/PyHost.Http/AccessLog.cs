using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Features;
using PyHost.Http.Forwarding;
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
    // Queued by Reopen, told apart from a log line by reference.
    private static readonly string ReopenMarker = new('\0', 1);

    private readonly string _target;
    private readonly AccessLogFormat _format;
    private TextWriter _writer;
    private readonly Task _pump;

    /// <summary>Opens the log: '-' is stdout, anything else a file opened for appending (O_APPEND); throws
    /// <see cref="Workers.Posix.FileOpenException"/> with a one-line message.</summary>
    public AccessLog(string target, AccessLogFormat? format = null)
    {
        _target = target;
        _format = format ?? DefaultFormat;
        _writer = Open(target);
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

    /// <summary>SIGUSR1: the file is opened again by its name (logrotate moved the old one away). Done by the writing
    /// task between two lines, so no line is split or lost.</summary>
    public void Reopen() => _lines.Writer.TryWrite(ReopenMarker);

    /// <summary>Called with a one-line reason when a reopen fails; the old file is kept.</summary>
    public Action<string>? ReopenFailed { get; set; }

    private static TextWriter Open(string target) => target == "-"
        ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false }
        : new StreamWriter(Workers.Posix.AppendOnlyFile.Open(target, "open the access log"), new UTF8Encoding(false));

    public void Write(HttpContext context, RequestRecord record, TimeSpan duration)
    {
        HttpRequest request = context.Request;
        System.Net.IPAddress? peer = context.Connection.RemoteIpAddress;
        if (peer is { IsIPv4MappedToIPv6: true })
        {
            peer = peer.MapToIPv4();
        }
        // The client the app saw: a trusted proxy's X-Forwarded-For or the PROXY protocol may have named it.
        RequestOrigin origin = RequestOriginFeature.Get(context);
        var entry = new AccessLogEntry
        {
            Time = record.StartTime,
            RemoteAddress = origin.RemoteAddress is { Length: > 0 } client ? client : "-",
            RemotePort = origin.RemotePort,
            Peer = peer?.ToString() ?? "-",
            ForwardedClient = origin.ViaTrustedProxy && origin.RemoteAddress.Length > 0 ? origin.RemoteAddress : null,
            Method = request.Method,
            Target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/",
            Protocol = request.Protocol,
            Status = context.Response.StatusCode,
            BodyBytes = record.BodyBytesSent,
            Duration = duration,
            RequestHeaders = request.Headers,
            ResponseHeaders = context.Response.Headers,
            RequestId = record.RequestId,
            Site = record.Site,
            App = record.App,
            WorkerId = record.WorkerId,
            Scheme = origin.Scheme,
            ServerName = origin.ServerName,
            ServerPort = origin.ServerPort,
        };
        _lines.Writer.TryWrite(_format.Format(entry));
    }

    /// <summary>A request that came from a web server in front (uwsgi, FastCGI, SCGI, Mongrel2): the client's
    /// address, user, target and headers as the front server passed them, in the same format as the HTTP lines.</summary>
    public void Write(GatewayAccess access)
    {
        var requestHeaders = new HeaderDictionary();
        if (access.Referer is not null)
        {
            requestHeaders[HeaderNames.Referer] = access.Referer;
        }
        if (access.UserAgent is not null)
        {
            requestHeaders[HeaderNames.UserAgent] = access.UserAgent;
        }
        _lines.Writer.TryWrite(_format.Format(new AccessLogEntry
        {
            Time = access.StartTime ?? DateTimeOffset.Now,
            RemoteAddress = string.IsNullOrEmpty(access.RemoteAddress) ? "-" : access.RemoteAddress,
            User = string.IsNullOrEmpty(access.User) ? null : access.User,
            Method = access.Method,
            Target = access.Target,
            Protocol = access.Protocol,
            Status = access.Status,
            BodyBytes = access.BodyBytes,
            Duration = access.Duration,
            RequestHeaders = requestHeaders,
            ResponseHeaders = new HeaderDictionary(),
            RequestId = "-",
            Site = access.Site,
            App = access.App,
            WorkerId = access.WorkerId,
        }));
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
                if (ReferenceEquals(line, ReopenMarker))
                {
                    await ReopenNowAsync();
                    continue;
                }
                await _writer.WriteLineAsync(line);
            }
            await _writer.FlushAsync();
        }
    }

    private async Task ReopenNowAsync()
    {
        if (_target == "-")
        {
            return;
        }
        TextWriter fresh;
        try
        {
            fresh = Open(_target);
        }
        catch (IOException ex)
        {
            ReopenFailed?.Invoke(ex.Message);
            return;
        }
        TextWriter old = _writer;
        _writer = fresh;
        await old.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _pump;
        await _writer.DisposeAsync();
    }
}
