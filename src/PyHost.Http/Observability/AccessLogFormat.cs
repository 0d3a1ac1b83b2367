using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Observability;

/// <summary>Everything an access log line may say about one request; built once per request, formatted by
/// <see cref="AccessLogFormat"/>.</summary>
public sealed record AccessLogEntry
{
    public required DateTimeOffset Time { get; init; }
    /// <summary>The client the app saw (REMOTE_ADDR, %(h)s): the peer, or whom a trusted proxy named.</summary>
    public required string RemoteAddress { get; init; }

    /// <summary>The connection's peer: the client itself, or the proxy in front.</summary>
    public string? Peer { get; init; }

    /// <summary>The client a trusted proxy named, when one did.</summary>
    public string? ForwardedClient { get; init; }
    public required string Method { get; init; }
    /// <summary>The request target as the client sent it: path and query.</summary>
    public required string Target { get; init; }
    public required string Protocol { get; init; }
    public required int Status { get; init; }
    public required long BodyBytes { get; init; }
    public required TimeSpan Duration { get; init; }
    public required IHeaderDictionary RequestHeaders { get; init; }
    public required IHeaderDictionary ResponseHeaders { get; init; }
    public required string RequestId { get; init; }
    /// <summary>The user a web server in front authenticated (its REMOTE_USER); else %(u)s reads Basic auth.</summary>
    public string? User { get; init; }
    /// <summary>The site whose routes answered (<c>[[site]] name</c>, else its first host name, else "default").</summary>
    public string? Site { get; init; }
    public string? App { get; init; }
    public int WorkerId { get; init; }
    public string Scheme { get; init; } = "http";
    public string? ServerName { get; init; }
    public int ServerPort { get; init; }
    public int RemotePort { get; init; }
}

/// <summary>
/// The access log's line format, parsed once: <c>combined</c> (Apache's, which is gunicorn's default and nginx's),
/// <c>combined_site</c> (the same with the site and app after it), <c>vhost_combined</c> (Apache's, the site first),
/// <c>json</c> (one object per line), or a gunicorn <c>--access-logformat</c> string of <c>%(atom)s</c> atoms: h l u t
/// r m U q H s B b f a T M D L p, <c>{header}i</c>, <c>{header}o</c>, <c>{variable}e</c>; PyHost adds request_id, site,
/// app and worker.
/// Every value from the client is escaped (<see cref="LogEscaping"/>).
/// </summary>
public sealed class AccessLogFormat
{
    /// <summary>gunicorn's default access_log_format: Apache's combined log format.</summary>
    public const string Combined = "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\"";

    /// <summary>combined with the site and the app after it: a parser of combined lines reads these lines too (fields
    /// after the user agent are what nginx users add to theirs), and <c>grep 'app="blog"'</c> finds one app's.</summary>
    public const string CombinedSite = Combined + " site=\"%(site)s\" app=\"%(app)s\"";

    /// <summary>Apache's vhost_combined (<c>%v:%p %h %l %u %t "%r" %&gt;s %O "%{Referer}i" "%{User-Agent}i"</c>), the
    /// site's name where Apache has the virtual host's ServerName: what GoAccess reads as VCOMBINED.</summary>
    public const string VhostCombined = "%(site)s:%({server_port}e)s " + Combined;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string Pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private readonly IReadOnlyList<(string? Literal, string? Atom)>? _parts;

    private AccessLogFormat(IReadOnlyList<(string?, string?)>? parts) => _parts = parts;

    public bool IsJson => _parts is null;

    /// <summary>"combined", "json", or a gunicorn format string; false with the reason when it cannot be read.</summary>
    public static bool TryParse(string text, out AccessLogFormat format, out string? error)
    {
        format = null!;
        error = null;
        switch (text)
        {
            case "json":
                format = new AccessLogFormat(null);
                return true;
            case "combined":
                text = Combined;
                break;
            case "combined_site":
                text = CombinedSite;
                break;
            case "vhost_combined":
                text = VhostCombined;
                break;
        }
        var parts = new List<(string?, string?)>();
        var literal = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '%')
            {
                literal.Append(c);
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '%')
            {
                literal.Append('%');
                i++;
                continue;
            }
            int close = text.IndexOf(")s", i, StringComparison.Ordinal);
            if (i + 1 >= text.Length || text[i + 1] != '(' || close < 0)
            {
                error = $"'%' at character {i + 1} starts no %(atom)s; write %% for a percent sign";
                return false;
            }
            string atom = text[(i + 2)..close];
            if (!IsKnownAtom(atom))
            {
                error = $"unknown atom %({atom})s; the atoms are h l u t r m U q H s B b f a T M D L p request_id site app worker, {{header}}i, {{header}}o, {{variable}}e";
                return false;
            }
            if (literal.Length > 0)
            {
                parts.Add((literal.ToString(), null));
                literal.Clear();
            }
            parts.Add((null, atom));
            i = close + 1;
        }
        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), null));
        }
        format = new AccessLogFormat(parts);
        return true;
    }

    private static bool IsKnownAtom(string atom) =>
        atom is "h" or "l" or "u" or "t" or "r" or "m" or "U" or "q" or "H" or "s" or "B" or "b" or "f" or "a"
            or "T" or "M" or "D" or "L" or "p" or "request_id" or "site" or "app" or "worker"
        || (atom.Length > 3 && atom[0] == '{' && atom[^2] == '}' && atom[^1] is 'i' or 'o' or 'e');

    public string Format(AccessLogEntry entry) => _parts is null ? FormatJson(entry) : FormatAtoms(entry, _parts);

    private static string FormatAtoms(AccessLogEntry entry, IReadOnlyList<(string? Literal, string? Atom)> parts)
    {
        var line = new StringBuilder(160);
        foreach (var (literal, atom) in parts)
        {
            line.Append(literal ?? LogEscaping.Escape(Atom(entry, atom!)));
        }
        return line.ToString();
    }

    /// <summary>One atom's value, as gunicorn's glogging.Logger.atoms computes it; "-" where there is none.</summary>
    private static string Atom(AccessLogEntry entry, string atom)
    {
        double seconds = entry.Duration.TotalSeconds;
        return atom switch
        {
            "h" => entry.RemoteAddress,
            "l" => "-",
            "u" => entry.User ?? BasicAuthUser(entry.RequestHeaders) ?? "-",
            "t" => $"[{FormatTime(entry.Time)}]",
            "r" => $"{entry.Method} {entry.Target} {entry.Protocol}",
            "m" => entry.Method,
            "U" => PathOf(entry.Target),
            "q" => QueryOf(entry.Target),
            "H" => entry.Protocol,
            "s" => entry.Status.ToString(CultureInfo.InvariantCulture),
            "B" => entry.BodyBytes.ToString(CultureInfo.InvariantCulture),
            "b" => entry.BodyBytes > 0 ? entry.BodyBytes.ToString(CultureInfo.InvariantCulture) : "-",
            "f" => Header(entry.RequestHeaders, "Referer"),
            "a" => Header(entry.RequestHeaders, "User-Agent"),
            "T" => ((long)seconds).ToString(CultureInfo.InvariantCulture),
            "M" => ((long)entry.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "D" => ((long)entry.Duration.TotalMicroseconds).ToString(CultureInfo.InvariantCulture),
            "L" => seconds.ToString("0.000000", CultureInfo.InvariantCulture),
            "p" => $"<{Pid}>",
            "request_id" => entry.RequestId,
            "site" => entry.Site ?? "-",
            "app" => entry.App ?? "-",
            "worker" => entry.WorkerId == 0 ? "-" : entry.WorkerId.ToString(CultureInfo.InvariantCulture),
            _ when atom.EndsWith("}i", StringComparison.Ordinal) => Header(entry.RequestHeaders, atom[1..^2]),
            _ when atom.EndsWith("}o", StringComparison.Ordinal) => Header(entry.ResponseHeaders, atom[1..^2]),
            _ => EnvironValue(entry, atom[1..^2]),
        };
    }

    private static string Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : "-";

    /// <summary>{variable}e: a key of the request's WSGI environ (gunicorn's atoms include the environ's).</summary>
    private static string EnvironValue(AccessLogEntry entry, string name) => name.ToUpperInvariant() switch
    {
        "REQUEST_METHOD" => entry.Method,
        "PATH_INFO" => PathOf(entry.Target),
        "QUERY_STRING" => QueryOf(entry.Target),
        "RAW_URI" or "REQUEST_URI" => entry.Target,
        "SERVER_PROTOCOL" => entry.Protocol,
        "REMOTE_ADDR" => entry.RemoteAddress,
        "REMOTE_PORT" => entry.RemotePort.ToString(CultureInfo.InvariantCulture),
        "SERVER_NAME" => entry.ServerName ?? "-",
        "SERVER_PORT" => entry.ServerPort.ToString(CultureInfo.InvariantCulture),
        "SCRIPT_NAME" => "",
        "WSGI.URL_SCHEME" => entry.Scheme,
        "CONTENT_TYPE" => Header(entry.RequestHeaders, "Content-Type"),
        "CONTENT_LENGTH" => Header(entry.RequestHeaders, "Content-Length"),
        "HTTP_X_REQUEST_ID" => entry.RequestId,
        var key when key.StartsWith("HTTP_", StringComparison.Ordinal) => Header(entry.RequestHeaders, key[5..].Replace('_', '-')),
        _ => "-",
    };

    private static string PathOf(string target)
    {
        int query = target.IndexOf('?');
        return query < 0 ? target : target[..query];
    }

    private static string QueryOf(string target)
    {
        int query = target.IndexOf('?');
        return query < 0 ? "" : target[(query + 1)..];
    }

    /// <summary>The user name of HTTP Basic authentication (RFC 7617), as gunicorn's %(u)s; null when there is none.</summary>
    private static string? BasicAuthUser(IHeaderDictionary headers)
    {
        string authorization = headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            string decoded = Encoding.Latin1.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            int colon = decoded.IndexOf(':');
            return colon > 0 ? decoded[..colon] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Apache's %t: "21/Nov/2026:06:32:45 +0000", the offset without a colon.</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        TimeSpan offset = time.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return time.ToString("dd/MMM/yyyy:HH:mm:ss ", CultureInfo.InvariantCulture) + $"{sign}{offset.Hours:00}{offset.Minutes:00}";
    }

    private static string FormatJson(AccessLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", entry.Time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture));
            WriteOptional(json, "site", entry.Site);
            WriteOptional(json, "host", entry.RequestHeaders.Host.Count > 0 ? entry.RequestHeaders.Host.ToString() : entry.ServerName);
            WriteOptional(json, "app", entry.App);
            json.WriteString("method", entry.Method);
            json.WriteString("path", entry.Target);
            json.WriteString("protocol", entry.Protocol);
            json.WriteNumber("status", entry.Status);
            json.WriteNumber("bytes", entry.BodyBytes);
            json.WriteNumber("duration_us", (long)entry.Duration.TotalMicroseconds);
            json.WriteString("client", entry.Peer ?? entry.RemoteAddress);
            WriteOptional(json, "forwarded_client", entry.ForwardedClient);
            WriteOptional(json, "user", entry.User ?? BasicAuthUser(entry.RequestHeaders));
            WriteOptional(json, "user_agent", entry.RequestHeaders.UserAgent.Count > 0 ? entry.RequestHeaders.UserAgent.ToString() : null);
            WriteOptional(json, "referer", entry.RequestHeaders.Referer.Count > 0 ? entry.RequestHeaders.Referer.ToString() : null);
            json.WriteString("request_id", entry.RequestId);
            if (entry.WorkerId != 0)
            {
                json.WriteNumber("worker", entry.WorkerId);
            }
            else
            {
                json.WriteNull("worker");
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
