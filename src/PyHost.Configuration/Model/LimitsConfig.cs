using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>
/// Limits and timeouts of a listener or a site (a route may lower <c>max_body_size</c>). A value not set is
/// inherited: route, then site, then listener, then <see cref="Defaults"/>, which stay close to nginx's and
/// gunicorn's.
/// </summary>
public sealed record LimitsConfig
{
    /// <summary>The built-in values, as documented.</summary>
    public static LimitsConfig Defaults { get; } = new()
    {
        MaxRequestLine = new ByteSize(8 << 10),
        MaxHeaderCount = 100,
        MaxHeaderSize = new ByteSize(8 << 10),
        MaxBodySize = new ByteSize(1L << 30),
        HeaderTimeout = TimeSpan.FromSeconds(60),
        KeepaliveTimeout = TimeSpan.FromSeconds(75),
        MinRequestBodyRate = new ByteSize(240),
        MaxConnections = 0,
        MaxConnectionsPerClient = 0,
    };

    /// <summary>Request line (method, target, version): longer gets 414 (gunicorn --limit-request-line).</summary>
    public ByteSize? MaxRequestLine { get; init; }

    /// <summary>Header fields in a request (gunicorn --limit-request-fields).</summary>
    public int? MaxHeaderCount { get; init; }

    /// <summary>One header field (gunicorn --limit-request-field_size).</summary>
    public ByteSize? MaxHeaderSize { get; init; }

    /// <summary>A request body: larger gets 413 (nginx client_max_body_size).</summary>
    public ByteSize? MaxBodySize { get; init; }

    /// <summary>Time to receive the request head (nginx client_header_timeout): slowloris protection.</summary>
    public TimeSpan? HeaderTimeout { get; init; }

    /// <summary>How long an idle keep-alive connection stays open (gunicorn --keep-alive, nginx keepalive_timeout).</summary>
    public TimeSpan? KeepaliveTimeout { get; init; }

    /// <summary>A body arriving slower than this per second (after a grace period) is cut off.</summary>
    public ByteSize? MinRequestBodyRate { get; init; }

    /// <summary>Open connections at once; 0 = no limit.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Open connections from one client address; 0 = no limit.</summary>
    public int? MaxConnectionsPerClient { get; init; }

    /// <summary>These limits with every value not set here taken from <paramref name="fallback"/>.</summary>
    public LimitsConfig Over(LimitsConfig fallback) => new()
    {
        MaxRequestLine = MaxRequestLine ?? fallback.MaxRequestLine,
        MaxHeaderCount = MaxHeaderCount ?? fallback.MaxHeaderCount,
        MaxHeaderSize = MaxHeaderSize ?? fallback.MaxHeaderSize,
        MaxBodySize = MaxBodySize ?? fallback.MaxBodySize,
        HeaderTimeout = HeaderTimeout ?? fallback.HeaderTimeout,
        KeepaliveTimeout = KeepaliveTimeout ?? fallback.KeepaliveTimeout,
        MinRequestBodyRate = MinRequestBodyRate ?? fallback.MinRequestBodyRate,
        MaxConnections = MaxConnections ?? fallback.MaxConnections,
        MaxConnectionsPerClient = MaxConnectionsPerClient ?? fallback.MaxConnectionsPerClient,
    };

    public static ConfigTable<LimitsConfig> Table { get; } = new("limits", "Limits and timeouts; a key not set is inherited (route, site, listener, built-in default).", () => new LimitsConfig())
    {
        { "max_request_line", Types.OptionalValue(Types.Size), "Longest request line (method, target, version); longer gets 414. gunicorn: --limit-request-line.", l => l.MaxRequestLine, (l, v) => l with { MaxRequestLine = v }, Defaults.MaxRequestLine.ToString() },
        { "max_header_count", Types.OptionalValue(Types.Count(1)), "Most header fields in a request; more gets 431. gunicorn: --limit-request-fields.", l => l.MaxHeaderCount, (l, v) => l with { MaxHeaderCount = v }, Defaults.MaxHeaderCount.ToString() },
        { "max_header_size", Types.OptionalValue(Types.Size), "Largest single header field; larger gets 431. gunicorn: --limit-request-field_size.", l => l.MaxHeaderSize, (l, v) => l with { MaxHeaderSize = v }, Defaults.MaxHeaderSize.ToString() },
        { "max_body_size", Types.OptionalValue(Types.Size), "Largest request body; larger gets 413. nginx's default is 1m; PyHost streams bodies, so its default is larger.", l => l.MaxBodySize, (l, v) => l with { MaxBodySize = v }, Defaults.MaxBodySize.ToString() },
        { "header_timeout", Types.OptionalValue(Types.Duration), "Time allowed to receive a request's head (slowloris protection; nginx: client_header_timeout).", l => l.HeaderTimeout, (l, v) => l with { HeaderTimeout = v }, DurationText.Format(Defaults.HeaderTimeout!.Value) },
        { "keepalive_timeout", Types.OptionalValue(Types.Duration), "How long an idle keep-alive connection stays open. gunicorn: --keep-alive; nginx: keepalive_timeout.", l => l.KeepaliveTimeout, (l, v) => l with { KeepaliveTimeout = v }, DurationText.Format(Defaults.KeepaliveTimeout!.Value) },
        { "min_request_body_rate", Types.OptionalValue(Types.Size), "Slowest accepted request body, in bytes per second (after a 5 s grace period).", l => l.MinRequestBodyRate, (l, v) => l with { MinRequestBodyRate = v }, Defaults.MinRequestBodyRate.ToString() },
        { "max_connections", Types.OptionalValue(Types.Count(0)), "Most open connections at once; 0 = no limit.", l => l.MaxConnections, (l, v) => l with { MaxConnections = v }, Defaults.MaxConnections.ToString() },
        { "max_connections_per_client", Types.OptionalValue(Types.Count(0)), "Most open connections from one client address; 0 = no limit.", l => l.MaxConnectionsPerClient, (l, v) => l with { MaxConnectionsPerClient = v }, Defaults.MaxConnectionsPerClient.ToString() },
    };
}
