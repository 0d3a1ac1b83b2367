using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PyHost.Http.Forwarding;

namespace PyHost.Http;

/// <summary>
/// The access log in Apache/nginx "combined" format, written by one background task so requests never wait on the
/// disk: <c>%h - %u [%t] "%r" %s %b "%{Referer}i" "%{User-Agent}i"</c>.
/// </summary>
public sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    // Queued by Reopen, told apart from a log line by reference.
    private static readonly string ReopenMarker = new('\0', 1);

    private readonly string _target;
    private TextWriter _writer;
    private readonly Task _pump;

    /// <summary>Opens the log: '-' is stdout, anything else a file opened for appending (O_APPEND); throws
    /// <see cref="Workers.Posix.FileOpenException"/> with a one-line message.</summary>
    public AccessLog(string target)
    {
        _target = target;
        _writer = Open(target);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>SIGUSR1: the file is opened again by its name (logrotate moved the old one away). Done by the writing
    /// task between two lines, so no line is split or lost.</summary>
    public void Reopen() => _lines.Writer.TryWrite(ReopenMarker);

    /// <summary>Called with a one-line reason when a reopen fails; the old file is kept.</summary>
    public Action<string>? ReopenFailed { get; set; }

    private static TextWriter Open(string target) => target == "-"
        ? new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false }
        : new StreamWriter(Workers.Posix.AppendOnlyFile.Open(target, "open the access log"), new UTF8Encoding(false));

    public void Write(HttpContext context, long bodyBytes)
    {
        HttpRequest request = context.Request;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        // The client the app saw: a trusted proxy's X-Forwarded-For or the PROXY protocol may have named it.
        string remote = RequestOriginFeature.Get(context).RemoteAddress is { Length: > 0 } client ? client : "-";
        string user = context.User.Identity?.Name ?? "-";
        string time = FormatTime(DateTimeOffset.Now);
        string referer = request.Headers.Referer.Count > 0 ? Escape(request.Headers.Referer.ToString()) : "-";
        string agent = request.Headers.UserAgent.Count > 0 ? Escape(request.Headers.UserAgent.ToString()) : "-";
        string bytes = bodyBytes > 0 ? bodyBytes.ToString(CultureInfo.InvariantCulture) : "-";
        _lines.Writer.TryWrite(
            $"{remote} - {user} [{time}] \"{request.Method} {Escape(target)} {request.Protocol}\" {context.Response.StatusCode} {bytes} \"{referer}\" \"{agent}\"");
    }

    /// <summary>Apache's %t: "21/Nov/2026:06:32:45 +0000", the offset without a colon.</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        TimeSpan offset = time.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return time.ToString("dd/MMM/yyyy:HH:mm:ss ", CultureInfo.InvariantCulture)
               + $"{sign}{offset.Hours:00}{offset.Minutes:00}";
    }

    // Quotes and control characters from the client must not forge log fields or lines.
    private static string Escape(string value)
    {
        if (!value.AsSpan().ContainsAny("\"\\\r\n\t"))
        {
            return value;
        }
        return value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");
    }

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
