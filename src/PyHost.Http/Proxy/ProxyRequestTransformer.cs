using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;
using Yarp.ReverseProxy.Forwarder;

namespace PyHost.Http.Proxy;

/// <summary>
/// What PyHost changes in a request on its way to an upstream server, and in the response on its way back. YARP's
/// base transformer copies the headers (dropping hop-by-hop ones); on top of it:
/// <list type="bullet">
/// <item>the target: the request's own, as the client sent it (nginx's <c>proxy_pass</c> without a URI), or the part
/// below the route's prefix with <c>strip_prefix</c>;</item>
/// <item>Host: the client's (<c>preserve_host</c>), or the server's;</item>
/// <item>fields the Connection header names are dropped too (RFC 9110 §7.6.1);</item>
/// <item>X-Forwarded-For/-Proto/-Host and Forwarded: a peer whose proxy headers were believed (forwarded_allow_ips)
/// has its chain extended with itself; from any other peer every such header is dropped and replaced, so a client
/// cannot pass a forged address on to the app;</item>
/// <item>the sticky cookie of the cookie policy, on the response.</item>
/// </list>
/// </summary>
public sealed class ProxyRequestTransformer(Upstream upstream, UpstreamServer server, string? stripPrefix) : HttpTransformer
{
    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-IP", "Forwarded"];

    public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, cancellationToken);
        HttpRequest request = context.Request;
        proxyRequest.RequestUri = new Uri(destinationPrefix + Target(context, stripPrefix), UriKind.Absolute);
        RemoveConnectionOptions(request, proxyRequest);
        if (!upstream.Config.PreserveHost)
        {
            proxyRequest.Headers.Host = null;   // HttpClient then sends the server's host:port
        }
        AddForwardingHeaders(context, proxyRequest, upstream.Config.ForwardedHeaders);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext context, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        bool copyBody = await base.TransformResponseAsync(context, proxyResponse, cancellationToken);
        if (proxyResponse is not null && !upstream.IsUnhealthyStatus((int)proxyResponse.StatusCode))
        {
            upstream.Policy.Chosen(context, server);
        }
        return copyBody;
    }

    /// <summary>
    /// The request target as the client sent it (RFC 9112 §3.2), so that the server sees the same bytes, %2F
    /// included; with a stripped prefix, the part below it ("/api/users?x" → "/users?x"; "/api" → "/").
    /// </summary>
    public static string Target(HttpContext context, string? stripPrefix)
    {
        string? raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null || raw.Length == 0 || raw[0] != '/')
        {
            // Absolute-form (RFC 9112 §3.2.2) or none: rebuild it from the parsed path, percent-encoded again.
            raw = context.Request.PathBase.Add(context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent();
            if (raw.Length == 0 || raw[0] != '/')
            {
                raw = "/" + raw;
            }
        }
        if (stripPrefix is null || stripPrefix.Length == 0 || !raw.StartsWith(stripPrefix, StringComparison.Ordinal))
        {
            return raw;
        }
        string below = raw[stripPrefix.Length..];
        return below.Length == 0 || below[0] != '/' ? "/" + below : below;
    }

    private static void RemoveConnectionOptions(HttpRequest request, HttpRequestMessage proxyRequest)
    {
        foreach (string option in ConnectionOptions(request.Headers))
        {
            proxyRequest.Headers.Remove(option);
            proxyRequest.Content?.Headers.Remove(option);
        }
    }

    /// <summary>The fields a Connection header names, which are for this hop only (RFC 9110 §7.6.1); keep-alive, close
    /// and upgrade are options, not fields.</summary>
    public static IEnumerable<string> ConnectionOptions(IHeaderDictionary headers)
    {
        foreach (string? line in headers.Connection)
        {
            foreach (string option in (line ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && !option.Equals("close", StringComparison.OrdinalIgnoreCase)
                    && !option.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    yield return option;
                }
            }
        }
    }

    private static void AddForwardingHeaders(HttpContext context, HttpRequestMessage proxyRequest, ForwardedHeadersToSend style)
    {
        if (!ExtendsForwardingChain(context))
        {
            foreach (string name in ForwardingHeaders)
            {
                proxyRequest.Headers.Remove(name);
            }
        }
        foreach ((string name, string value) in ForwardingFields(context, style))
        {
            Replace(proxyRequest, name, value);
        }
    }

    /// <summary>Whether the client's own forwarding headers go on (a peer whose proxy headers were believed), extended
    /// with this hop; otherwise every one of <see cref="IsForwardingHeader"/> is dropped and replaced.</summary>
    public static bool ExtendsForwardingChain(HttpContext context) => RequestOriginFeature.Get(context).ViaTrustedProxy;

    public static bool IsForwardingHeader(string name)
    {
        foreach (string forwarding in ForwardingHeaders)
        {
            if (forwarding.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The forwarding fields this hop sends, each replacing any field of that name.</summary>
    public static IEnumerable<(string Name, string Value)> ForwardingFields(HttpContext context, ForwardedHeadersToSend style)
    {
        RequestOrigin origin = RequestOriginFeature.Get(context);
        HttpRequest request = context.Request;
        IPAddress? peer = context.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.RemoteIpAddress;
        bool extend = origin.ViaTrustedProxy;
        if (style is ForwardedHeadersToSend.XForwarded or ForwardedHeadersToSend.Both)
        {
            StringValues incomingFor = request.Headers["X-Forwarded-For"];
            string chain = extend && !StringValues.IsNullOrEmpty(incomingFor) ? string.Join(", ", incomingFor.ToArray()) + ", " : "";
            yield return ("X-Forwarded-For", chain + (peer?.ToString() ?? "unknown"));
            yield return ("X-Forwarded-Proto", origin.Scheme);
            if (origin.Host is { } host)
            {
                yield return ("X-Forwarded-Host", host);
            }
        }
        if (style is ForwardedHeadersToSend.Forwarded or ForwardedHeadersToSend.Both)
        {
            // RFC 7239 §4: this hop's element: who sent it to us, over what, for which host.
            StringValues incomingForwarded = request.Headers["Forwarded"];
            string forNode = peer is null ? "unknown" : peer.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"\"[{peer}]\"" : peer.ToString();
            string element = $"for={forNode};proto={request.Scheme}";
            if (request.Headers.Host.ToString() is { Length: > 0 } hostHeader)
            {
                element += $";host=\"{hostHeader.Replace("\\", "", StringComparison.Ordinal).Replace("\"", "", StringComparison.Ordinal)}\"";
            }
            string chain = extend && !StringValues.IsNullOrEmpty(incomingForwarded) ? string.Join(", ", incomingForwarded.ToArray()) + ", " : "";
            yield return ("Forwarded", chain + element);
        }
    }

    private static void Replace(HttpRequestMessage proxyRequest, string name, string value)
    {
        proxyRequest.Headers.Remove(name);
        proxyRequest.Headers.TryAddWithoutValidation(name, value);
    }
}
