using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using PyHost.Protocol;

using PyHost.Http.Forwarding;

namespace PyHost.Http;

/// <summary>
/// Writes an HTTP request as the ASGI scope an ASGI worker loads in one <c>marshal.loads</c> (asgiref specs/www.rst
/// "HTTP Connection Scope" and "Websocket Connection Scope"; docs/protocol.md "The ASGI scope payload"). Nothing is
/// lost on the way: the raw path's bytes, every header value in order with its repeats, as the bytes the client sent.
/// The worker adds <c>asgi</c>, <c>extensions</c> and <c>state</c>.
/// </summary>
public static class AsgiScope
{
    private static readonly byte[] Type = MarshalWriter.EncodeKey("type");
    private static readonly byte[] HttpVersion = MarshalWriter.EncodeKey("http_version");
    private static readonly byte[] Method = MarshalWriter.EncodeKey("method");
    private static readonly byte[] Scheme = MarshalWriter.EncodeKey("scheme");
    private static readonly byte[] PathKey = MarshalWriter.EncodeKey("path");
    private static readonly byte[] RawPath = MarshalWriter.EncodeKey("raw_path");
    private static readonly byte[] QueryString = MarshalWriter.EncodeKey("query_string");
    private static readonly byte[] RootPath = MarshalWriter.EncodeKey("root_path");
    private static readonly byte[] Headers = MarshalWriter.EncodeKey("headers");
    private static readonly byte[] Client = MarshalWriter.EncodeKey("client");
    private static readonly byte[] Server = MarshalWriter.EncodeKey("server");
    private static readonly byte[] Subprotocols = MarshalWriter.EncodeKey("subprotocols");

    /// <param name="bufferedBodyLength">The body's length when the front read it whole: the headers then say
    /// <c>content-length</c> instead of <c>transfer-encoding: chunked</c>, as for the WSGI environ.</param>
    /// <param name="webSocket">The request is a WebSocket handshake: the scope's type is "websocket".</param>
    /// <param name="rootPath">The mount prefix of the route that sent the request here ("" at the root); <c>path</c>
    /// still holds the whole path, as www.rst has it ("PATH_INFO can be derived by stripping root_path from path").</param>
    public static void Write(HttpContext context, IBufferWriter<byte> output, long? bufferedBodyLength, bool webSocket, string rootPath = "")
    {
        HttpRequest request = context.Request;
        string rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        RequestTarget.Split(rawTarget, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query);

        MarshalWriter.WriteDictStart(output);
        Add(output, Type, webSocket ? "websocket" : "http");
        Add(output, HttpVersion, VersionOf(request.Protocol));
        if (!webSocket)
        {
            Add(output, Method, request.Method);
        }
        // Scheme and client as the front decided them (RequestOrigin): a trusted proxy's X-Forwarded-Proto/-For count,
        // as uvicorn's --proxy-headers with --forwarded-allow-ips has it, and as the WSGI environ has them.
        RequestOrigin origin = RequestOriginFeature.Get(context);
        Add(output, Scheme, webSocket ? (origin.Scheme == "https" ? "wss" : "ws") : origin.Scheme);
        WritePath(output, path);
        MarshalWriter.WriteEncodedKey(output, QueryString);
        WriteUtf8Bytes(output, query);
        Add(output, RootPath, rootPath);
        WriteHeaders(output, request.Headers, bufferedBodyLength);
        WriteAddresses(output, context, origin);
        if (webSocket)
        {
            MarshalWriter.WriteEncodedKey(output, Subprotocols);
            IList<string> requested = context.WebSockets.WebSocketRequestedProtocols;
            MarshalWriter.WriteListStart(output, requested.Count);
            foreach (string subprotocol in requested)
            {
                MarshalWriter.WriteString(output, subprotocol);
            }
        }
        if (Observability.RequestRecord.Of(context)?.Site is { } site)
        {
            // For the worker's log lines about this request; the worker takes it out before the app sees the scope.
            Add(output, EnvironKeys.Site, site);
        }
        MarshalWriter.WriteDictEnd(output);
    }

    /// <summary>"HTTP/1.1" → "1.1", "HTTP/2" → "2", as www.rst spells <c>http_version</c>.</summary>
    public static string VersionOf(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/1.0" => "1.0",
        "HTTP/3" => "3",
        _ => protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? protocol[5..] : protocol,
    };

    /// <summary>
    /// <c>raw_path</c> is the path as the client sent it; <c>path</c> is it percent-decoded and read as UTF-8 (www.rst
    /// "path": "with percent-encoded sequences and UTF-8 byte sequences decoded"), invalid sequences becoming U+FFFD
    /// as Python's urllib.parse.unquote makes them.
    /// </summary>
    private static void WritePath(IBufferWriter<byte> output, ReadOnlySpan<char> path)
    {
        MarshalWriter.WriteEncodedKey(output, PathKey);
        byte[]? rented = null;
        Span<byte> decoded = path.Length * 3 <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(path.Length * 3));
        int length = WsgiEnviron.PercentDecode(path, decoded);
        if (Ascii.IsValid(decoded[..length]))
        {
            MarshalWriter.WriteLatin1(output, decoded[..length]);
        }
        else
        {
            MarshalWriter.WriteString(output, Encoding.UTF8.GetString(decoded[..length]));
        }
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        MarshalWriter.WriteEncodedKey(output, RawPath);
        WriteUtf8Bytes(output, path);
    }

    /// <summary>The target's characters back to the bytes the client sent (ASCII, or UTF-8 that Kestrel decoded).</summary>
    private static void WriteUtf8Bytes(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        if (Ascii.IsValid(text))
        {
            MarshalWriter.WriteLatin1Bytes(output, text);
            return;
        }
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToArray());
        MarshalWriter.WriteBytes(output, bytes);
    }

    /// <summary>
    /// Every header as a (lower-cased name, value) pair, each value of a repeated field on its own (www.rst: "Duplicates
    /// are possible and must be preserved"). Kestrel groups a field's values under its name, keeping their order, which
    /// is all the spec asks ("order of header names is not important"). HTTP/2 pseudo-headers are left out; Kestrel
    /// already turned <c>:authority</c> into Host.
    /// </summary>
    private static void WriteHeaders(IBufferWriter<byte> output, IHeaderDictionary headers, long? bufferedBodyLength)
    {
        int count = bufferedBodyLength is null ? 0 : 1;
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            if (Included(header.Key, bufferedBodyLength))
            {
                count += header.Value.Count;
            }
        }
        MarshalWriter.WriteEncodedKey(output, Headers);
        MarshalWriter.WriteListStart(output, count);
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            if (!Included(header.Key, bufferedBodyLength))
            {
                continue;
            }
            foreach (string? value in header.Value)
            {
                MarshalWriter.WriteTupleStart(output, 2);
                MarshalWriter.WriteLowerCaseBytes(output, header.Key);
                MarshalWriter.WriteLatin1Bytes(output, value ?? "");
            }
        }
        if (bufferedBodyLength is { } length)
        {
            MarshalWriter.WriteTupleStart(output, 2);
            MarshalWriter.WriteBytes(output, "content-length"u8);
            Span<char> digits = stackalloc char[20];
            length.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            MarshalWriter.WriteLatin1Bytes(output, digits[..written]);
        }
    }

    private static bool Included(string name, long? bufferedBodyLength) =>
        !name.StartsWith(':')
        && (bufferedBodyLength is null
            || !(name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)));

    /// <summary><c>client</c> is the peer (or the client a trusted proxy names); <c>server</c> the listening socket: [host, port], or [path, None] on a Unix
    /// socket (www.rst), where the peer is unnamed and <c>client</c> is None.</summary>
    private static void WriteAddresses(IBufferWriter<byte> output, HttpContext context, RequestOrigin origin)
    {
        ConnectionInfo connection = context.Connection;
        MarshalWriter.WriteEncodedKey(output, Client);
        if (origin.RemoteAddress.Length == 0)
        {
            MarshalWriter.WriteNone(output);
        }
        else
        {
            MarshalWriter.WriteTupleStart(output, 2);
            MarshalWriter.WriteString(output, origin.RemoteAddress);
            MarshalWriter.WriteInt(output, origin.RemotePort);
        }

        IPAddress? local = connection.LocalIpAddress;
        if (local is not null && local.IsIPv4MappedToIPv6)
        {
            local = local.MapToIPv4();
        }
        MarshalWriter.WriteEncodedKey(output, Server);
        MarshalWriter.WriteTupleStart(output, 2);
        if (local is not null)
        {
            MarshalWriter.WriteString(output, local.ToString());
            MarshalWriter.WriteInt(output, connection.LocalPort);
        }
        else
        {
            string socketPath = context.Features.Get<IConnectionEndPointFeature>()?.LocalEndPoint is UnixDomainSocketEndPoint unix ? unix.ToString() : "";
            MarshalWriter.WriteString(output, socketPath);
            MarshalWriter.WriteNone(output);
        }
    }

    private static void Add(IBufferWriter<byte> output, byte[] key, string value)
    {
        MarshalWriter.WriteEncodedKey(output, key);
        MarshalWriter.WriteString(output, value);
    }
}
