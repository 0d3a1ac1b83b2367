using System.CommandLine;
using System.CommandLine.Parsing;
using PyHost.Http;
using PyHost.Http.Forwarding;

namespace PyHost.Cli;

/// <summary>What `pyhost serve` takes for the web-server tier: limits and timeouts, trusted proxies, the PROXY protocol.</summary>
public static partial class ServeCommand
{
    private static readonly HttpLimits DefaultLimits = new();

    private static readonly Option<int> LimitRequestLine = new("--limit-request-line")
    {
        Description = "Longest request line in bytes (method, target, version); 414 beyond. 0 = no limit.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => DefaultLimits.MaxRequestLineBytes,
    };
    private static readonly Option<int> LimitRequestFields = new("--limit-request-fields")
    {
        Description = "Most header fields in a request; 431 beyond. 0 = 32768.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => DefaultLimits.MaxHeaderFields,
    };
    // gunicorn spells it with an underscore; the dashed form is accepted too.
    private static readonly Option<int> LimitRequestFieldSize = new("--limit-request-field_size", "--limit-request-field-size")
    {
        Description = "Longest header field line in bytes; 431 beyond. 0 = no limit of its own.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => DefaultLimits.MaxHeaderFieldBytes,
    };
    private static readonly Option<int> HeaderTimeout = new("--header-timeout")
    {
        Description = "Seconds a request head may take to arrive (slowloris); 408 beyond. 0 = no limit.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => (int)DefaultLimits.HeaderTimeout.TotalSeconds,
    };
    private static readonly Option<int> KeepAlive = new("--keep-alive")
    {
        Description = "Seconds an idle connection waits for its next request. 0 = close after each response.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => (int)DefaultLimits.KeepAliveTimeout.TotalSeconds,
    };
    private static readonly Option<int> MinRequestBodyRate = new("--min-request-body-rate")
    {
        Description = $"Bytes per second a request body must keep up after {DefaultLimits.MinRequestBodyRateGrace.TotalSeconds} s; 408 below. 0 = no minimum.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => DefaultLimits.MinRequestBodyBytesPerSecond,
    };
    private static readonly Option<int> MaxConnections = new("--max-connections")
    {
        Description = "Most open client connections; one more gets 503 and is closed. 0 = no limit.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => DefaultLimits.MaxConnections,
    };
    private static readonly Option<int> MaxConnectionsPerClient = new("--max-connections-per-client")
    {
        Description = "Most open connections from one client address (trusted proxies exempt); 503 beyond. 0 = no limit.",
        CustomParser = result => WholeNumber(result) ?? 0,
    };
    private static readonly Option<string?> ForwardedAllowIps = new("--forwarded-allow-ips")
    {
        Description = "Proxies whose X-Forwarded-*/Forwarded and PROXY headers are believed: addresses, CIDR ranges, 'unix' "
                      + $"for Unix-socket peers, '*' for all. [default: $FORWARDED_ALLOW_IPS, else {TrustedProxies.DefaultList}]",
    };
    private static readonly Option<string> ForwardedHeaders = new("--forwarded-headers")
    {
        Description = "Which headers a trusted proxy's word is read from: x-forwarded (X-Forwarded-For/-Proto/-Host/-Port), "
                      + "forwarded (RFC 7239) or none.",
        DefaultValueFactory = _ => "x-forwarded",
    };
    private static readonly Option<bool> ProxyProtocol = new("--proxy-protocol")
    {
        Description = "Every connection starts with a PROXY protocol v1 or v2 header (HAProxy send-proxy, AWS NLB), from a peer in --forwarded-allow-ips.",
    };

    private static void AddHttpOptions(Command command)
    {
        foreach (Option option in new Option[]
                 {
                     LimitRequestLine, LimitRequestFields, LimitRequestFieldSize, HeaderTimeout, KeepAlive, MinRequestBodyRate,
                     MaxConnections, MaxConnectionsPerClient, ForwardedAllowIps, ForwardedHeaders, ProxyProtocol,
                 })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            foreach (Option<int> option in new[]
                     {
                         LimitRequestLine, LimitRequestFields, LimitRequestFieldSize, HeaderTimeout, KeepAlive, MinRequestBodyRate,
                         MaxConnections, MaxConnectionsPerClient,
                     })
            {
                if (ParsedValue(result, option) < 0)
                {
                    result.AddError($"{option.Name} takes a number 0 or more");
                }
            }
            if (ParsedValue(result, LimitRequestFields) > 32768)
            {
                result.AddError("--limit-request-fields can be at most 32768 (gunicorn's limit too)");
            }
            if (!TrustedProxies.TryParse(ForwardedAllowIpsText(result), out _, out string? error))
            {
                result.AddError($"--forwarded-allow-ips {error}");
            }
            if (result.GetValue(ForwardedHeaders) is { } style && ParseForwardedHeaderStyle(style) is null)
            {
                result.AddError($"--forwarded-headers '{style}': use x-forwarded, forwarded or none");
            }
        });
    }

    private static string ForwardedAllowIpsText(CommandResult result) =>
        result.GetValue(ForwardedAllowIps) ?? Environment.GetEnvironmentVariable("FORWARDED_ALLOW_IPS") ?? TrustedProxies.DefaultList;

    private static ForwardedHeaderStyle? ParseForwardedHeaderStyle(string text) => text.ToLowerInvariant() switch
    {
        "x-forwarded" => ForwardedHeaderStyle.XForwarded,
        "forwarded" => ForwardedHeaderStyle.Forwarded,
        "none" => ForwardedHeaderStyle.None,
        _ => null,
    };

    private static HttpFrontOptions WithHttpOptions(ParseResult parsed, HttpFrontOptions options) => options with
    {
        Limits = new HttpLimits
        {
            MaxRequestLineBytes = parsed.GetValue(LimitRequestLine),
            MaxHeaderFields = parsed.GetValue(LimitRequestFields),
            MaxHeaderFieldBytes = parsed.GetValue(LimitRequestFieldSize),
            HeaderTimeout = TimeSpan.FromSeconds(parsed.GetValue(HeaderTimeout)),
            KeepAliveTimeout = TimeSpan.FromSeconds(parsed.GetValue(KeepAlive)),
            MinRequestBodyBytesPerSecond = parsed.GetValue(MinRequestBodyRate),
            MaxConnections = parsed.GetValue(MaxConnections),
            MaxConnectionsPerClient = parsed.GetValue(MaxConnectionsPerClient),
        },
        ForwardedAllowIps = TrustedProxies.Parse(ForwardedAllowIpsText(parsed.CommandResult)),
        ForwardedHeaders = ParseForwardedHeaderStyle(parsed.GetValue(ForwardedHeaders)!)!.Value,
        ProxyProtocol = parsed.GetValue(ProxyProtocol),
    };
}
