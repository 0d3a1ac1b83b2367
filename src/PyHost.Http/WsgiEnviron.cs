using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using PyHost.Http.Forwarding;
using PyHost.Http.Observability;
using PyHost.Protocol;

namespace PyHost.Http;

/// <summary>
/// Writes the CGI part of a WSGI environ (PEP 3333 "environ Variables") for an HTTP request, as the marshal dict the
/// worker loads in one call. The worker adds the wsgi.* objects.
/// </summary>
public static partial class WsgiEnviron
{
    private static readonly byte[] RequestIdKey = MarshalWriter.EncodeKey("HTTP_X_REQUEST_ID");
    private static readonly byte[] TraceIdKey = MarshalWriter.EncodeKey("pyhost.trace_id");
    private static readonly byte[] SpanIdKey = MarshalWriter.EncodeKey("pyhost.span_id");
    private static readonly byte[] TraceParentKey = MarshalWriter.EncodeKey("pyhost.traceparent");
    private static readonly byte[] HttpHost = MarshalWriter.EncodeKey("HTTP_HOST");

    // HTTP_* keys by header name. Header names repeat endlessly, so each is converted once; the cache is bounded
    // so a client sending random names cannot grow it.
    private static readonly ConcurrentDictionary<string, byte[]> HeaderKeys = new(StringComparer.OrdinalIgnoreCase);
    private const int MaxCachedHeaderKeys = 1024;

    /// <param name="bufferedBodyLength">The body's length when the front read it whole: CONTENT_LENGTH then says it,
    /// and a chunked upload reaches the app as a plain one (no HTTP_TRANSFER_ENCODING), as nginx does when it buffers.</param>
    /// <param name="scriptName">The route's mount prefix ("/blog"), "" at the root: it becomes SCRIPT_NAME, and PATH_INFO
    /// is the rest of the path (PEP 3333 "environ Variables", as mod_wsgi's WSGIScriptAlias does).</param>
    public static void Write(HttpContext context, IBufferWriter<byte> output, long? bufferedBodyLength = null, string scriptName = "")
    {
        HttpRequest request = context.Request;
        string rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;

        MarshalWriter.WriteDictStart(output);
        Add(output, EnvironKeys.RequestMethod, request.Method);
        Add(output, EnvironKeys.ScriptName, scriptName);
        WritePathAndQuery(output, rawTarget, scriptName.Length);
        Add(output, EnvironKeys.RequestUri, rawTarget);
        Add(output, EnvironKeys.RawUri, rawTarget);
        Add(output, EnvironKeys.ServerProtocol, request.Protocol);
        RequestOrigin origin = RequestOriginFeature.Get(context);
        Add(output, EnvironKeys.UrlScheme, origin.Scheme);
        WriteServerAndRemote(output, origin);
        WriteTls(output, context);
        RequestRecord? record = RequestRecord.Of(context);
        WriteHeaders(output, request.Headers, origin.Host, bufferedBodyLength is not null, skipRequestId: record is not null);
        if (record is not null)
        {
            WriteRequestIdentity(output, record);
        }
        if (bufferedBodyLength is { } length)
        {
            MarshalWriter.WriteEncodedKey(output, EnvironKeys.ContentLength);
            Span<char> digits = stackalloc char[20];
            length.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            MarshalWriter.WriteString(output, digits[..written]);
        }
        MarshalWriter.WriteDictEnd(output);
    }

    /// <summary>
    /// PATH_INFO is the raw path, percent-decoded to bytes and read as latin-1 (PEP 3333 and every WSGI server),
    /// so an app sees exactly the bytes the client sent, whatever their encoding. QUERY_STRING stays encoded.
    /// </summary>
    private static void WritePathAndQuery(IBufferWriter<byte> output, string rawTarget, int mountLength)
    {
        RequestTarget.Split(rawTarget, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query);
        // The mount prefix has no escapes (the route table refuses them), so it is the raw path's first characters.
        path = path[Math.Min(mountLength, path.Length)..];

        MarshalWriter.WriteEncodedKey(output, EnvironKeys.PathInfo);
        byte[]? rented = null;
        Span<byte> decoded = path.Length * 3 <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(path.Length * 3));
        int length = PercentDecode(path, decoded);
        MarshalWriter.WriteLatin1(output, decoded[..length]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        MarshalWriter.WriteEncodedKey(output, EnvironKeys.QueryString);
        MarshalWriter.WriteString(output, query);
    }

    /// <summary>Decodes %XX escapes; a '%' not followed by two hex digits stays as it is (as gunicorn does).</summary>
    public static int PercentDecode(ReadOnlySpan<char> path, Span<byte> destination)
    {
        int written = 0;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '%' && i + 2 < path.Length && IsHex(path[i + 1]) && IsHex(path[i + 2]))
            {
                destination[written++] = (byte)((HexValue(path[i + 1]) << 4) | HexValue(path[i + 2]));
                i += 2;
            }
            else if (c < 0x80)
            {
                destination[written++] = (byte)c;
            }
            else
            {
                // A raw non-ASCII byte in the target reached us decoded as UTF-8: give the app those bytes back.
                written += Encoding.UTF8.GetBytes(path.Slice(i, char.IsHighSurrogate(c) && i + 1 < path.Length ? 2 : 1), destination[written..]);
                if (char.IsHighSurrogate(c))
                {
                    i++;
                }
            }
        }
        return written;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>
    /// SERVER_NAME and SERVER_PORT come from the Host header when there is one (as gunicorn and wsgiref do), else from
    /// the listening socket; REMOTE_ADDR and REMOTE_PORT from the peer. A trusted proxy's headers may have changed
    /// all of them: <see cref="RequestOrigin.Resolve"/> decides.
    /// </summary>
    private static void WriteServerAndRemote(IBufferWriter<byte> output, RequestOrigin origin)
    {
        Add(output, EnvironKeys.ServerName, origin.ServerName);
        MarshalWriter.WriteEncodedKey(output, EnvironKeys.ServerPort);
        WriteNumber(output, origin.ServerPort);
        // A Unix-socket peer has no address; "" keeps the key present for apps that read it unconditionally.
        Add(output, EnvironKeys.RemoteAddr, origin.RemoteAddress);
        MarshalWriter.WriteEncodedKey(output, EnvironKeys.RemotePort);
        WriteNumber(output, origin.RemotePort);
    }

    /// <summary>
    /// HTTP_X_REQUEST_ID is the request's id as the logs know it (a trusted proxy's, or made here; a client's own is
    /// replaced, as nginx's proxy_set_header X-Request-ID $request_id does). With tracing on, the front's server span:
    /// pyhost.trace_id and pyhost.span_id for the app's log lines, pyhost.traceparent for its calls onward.
    /// HTTP_TRACEPARENT stays the caller's. pyhost.site names the site whose route chose the app (PEP 3333 lets a server
    /// add its own keys under its name), so the worker's traceback of a 500 says whose request failed.
    /// </summary>
    private static void WriteRequestIdentity(IBufferWriter<byte> output, RequestRecord record)
    {
        Add(output, RequestIdKey, record.RequestId);
        if (record.Site is { } site)
        {
            Add(output, EnvironKeys.Site, site);
        }
        if (record.Activity is { } span)
        {
            Add(output, TraceIdKey, span.TraceId.ToHexString());
            Add(output, SpanIdKey, span.SpanId.ToHexString());
            Add(output, TraceParentKey, span.Id ?? "");
        }
    }

    /// <summary>
    /// Every request header as HTTP_NAME, repeated fields joined with ", " (RFC 9110 §5.3) except Cookie, joined with
    /// "; " (RFC 9113 §8.2.3, RFC 6265 §5.4). Content-Type and Content-Length lose the prefix (PEP 3333).
    /// Names with "_" are dropped: X_Forwarded_For would otherwise pass for X-Forwarded-For (nginx's
    /// underscores_in_headers off, gunicorn's header_map "drop"). HTTP_HOST is <paramref name="host"/>, the Host the
    /// client used, which a trusted proxy may have named.
    /// </summary>
    private static void WriteHeaders(IBufferWriter<byte> output, IHeaderDictionary headers, string? host, bool bodyBuffered, bool skipRequestId)
    {
        bool hostWritten = false;
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            string name = header.Key;
            if (name.Contains('_') || name.StartsWith(':')
                || (skipRequestId && name.Equals("X-Request-ID", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (bodyBuffered && (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                                 || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
            {
                continue;   // written from the buffered body instead
            }
            StringValues values = header.Value;
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                if (host is not null)
                {
                    Add(output, HttpHost, host);
                    hostWritten = true;
                }
                continue;
            }
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                MarshalWriter.WriteEncodedKey(output, EnvironKeys.ContentType);
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                MarshalWriter.WriteEncodedKey(output, EnvironKeys.ContentLength);
            }
            else
            {
                MarshalWriter.WriteEncodedKey(output, HeaderKey(name));
            }

            if (values.Count == 1)
            {
                MarshalWriter.WriteString(output, values[0]);
            }
            else
            {
                string separator = name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ";
                MarshalWriter.WriteString(output, string.Join(separator, values.ToArray()));
            }
        }
        if (!hostWritten && host is not null)
        {
            Add(output, HttpHost, host);
        }
    }

    private static byte[] HeaderKey(string name)
    {
        if (HeaderKeys.TryGetValue(name, out byte[]? key))
        {
            return key;
        }
        var builder = new StringBuilder("HTTP_", 5 + name.Length);
        foreach (char c in name)
        {
            builder.Append(c == '-' ? '_' : char.ToUpperInvariant(c));
        }
        key = MarshalWriter.EncodeKey(builder.ToString());
        if (HeaderKeys.Count < MaxCachedHeaderKeys)
        {
            HeaderKeys.TryAdd(name, key);
        }
        return key;
    }

    private static void Add(IBufferWriter<byte> output, byte[] key, string value)
    {
        MarshalWriter.WriteEncodedKey(output, key);
        MarshalWriter.WriteString(output, value);
    }

    private static void WriteNumber(IBufferWriter<byte> output, int value)
    {
        Span<byte> digits = stackalloc byte[11];
        value.TryFormat(digits, out int length, provider: CultureInfo.InvariantCulture);
        MarshalWriter.WriteLatin1(output, digits[..length]);
    }
}
