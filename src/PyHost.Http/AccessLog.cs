using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PyHost.Http;

/// <summary>
/// The access log in Apache/nginx "combined" format, written by one background task so requests never wait on the
/// disk: <c>%h - %u [%t] "%r" %s %b "%{Referer}i" "%{User-Agent}i"</c>.
/// </summary>
public sealed class AccessLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TextWriter _writer;
    private readonly Task _pump;

    public AccessLog(string target)
    {
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

    public void Write(HttpContext context, long bodyBytes)
    {
        HttpRequest request = context.Request;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        string user = context.User.Identity?.Name ?? "-";
        Write(context.Connection.RemoteIpAddress?.ToString(), user, request.Method, target, request.Protocol, context.Response.StatusCode,
            bodyBytes, request.Headers.Referer.Count > 0 ? request.Headers.Referer.ToString() : null,
            request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null);
    }

    /// <summary>A request that came from a web server in front (uwsgi, FastCGI, SCGI, Mongrel2): the client's
    /// address, target and headers as the front server passed them.</summary>
    public void Write(string? remoteAddress, string? user, string method, string target, string protocol, int status, long bodyBytes,
        string? referer, string? userAgent)
    {
        string remote = string.IsNullOrEmpty(remoteAddress) ? "-" : remoteAddress;
        string time = FormatTime(DateTimeOffset.Now);
        string bytes = bodyBytes > 0 ? bodyBytes.ToString(CultureInfo.InvariantCulture) : "-";
        _lines.Writer.TryWrite(
            $"{remote} - {(string.IsNullOrEmpty(user) ? "-" : Escape(user))} [{time}] \"{Escape(method)} {Escape(target)} {Escape(protocol)}\" {status} {bytes} "
            + $"\"{(referer is null ? "-" : Escape(referer))}\" \"{(userAgent is null ? "-" : Escape(userAgent))}\"");
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
