using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>
/// Limits and timeouts of a listener or a site (a route may set its own <c>max_body_size</c>). A value not set (null)
/// is inherited: route, then site, then listener, then <see cref="Defaults"/>, which stay close to nginx's and
/// gunicorn's. A value of 0 turns a limit off, as gunicorn's flags do (<c>max_header_count</c>: gunicorn's most, 32768).
/// </summary>
public sealed record LimitsConfig
{
    /// <summary>The built-in values, as documented.</summary>
    public static LimitsConfig Defaults { get; } = new()
    {
        MaxRequestLine = new ByteSize(8190),
        MaxHeaderCount = 100,
        MaxHeaderSize = new ByteSize(8190),
        MaxBodySize = ByteSize.FromMebibytes(100),
        HeaderTimeout = TimeSpan.FromSeconds(60),
        KeepaliveTimeout = TimeSpan.FromSeconds(75),
        MinRequestBodyRate = new ByteSize(240),
        MaxConnections = 10_000,
        MaxConnectionsPerClient = 0,
    };

    /// <summary>What <c>max_header_count = 0</c> means: gunicorn's most, which its --limit-request-fields 0 means too.</summary>
    public const int MostHeaderCount = 32768;

    /// <summary>Request line (method, target, version): longer gets 414 (gunicorn --limit-request-line); 0 = no limit.</summary>
    public ByteSize? MaxRequestLine { get; init; }

    /// <summary>Header fields in a request (gunicorn --limit-request-fields); 0 = <see cref="MostHeaderCount"/>.</summary>
    public int? MaxHeaderCount { get; init; }

    /// <summary>One header field (gunicorn --limit-request-field_size); 0 = no limit of its own (the head stays bounded).</summary>
    public ByteSize? MaxHeaderSize { get; init; }

    /// <summary>A request body: larger gets 413 (nginx client_max_body_size); 0 = no limit.</summary>
    public ByteSize? MaxBodySize { get; init; }

    /// <summary>Time to receive the request head (nginx client_header_timeout): slowloris protection; 0 = no limit.</summary>
    public TimeSpan? HeaderTimeout { get; init; }

    /// <summary>How long an idle keep-alive connection stays open (gunicorn --keep-alive, nginx keepalive_timeout); 0 = one request per connection.</summary>
    public TimeSpan? KeepaliveTimeout { get; init; }

    /// <summary>A body arriving slower than this per second (after a grace period) is cut off; 0 = no minimum.</summary>
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
        { "max_request_line", Types.OptionalValue(Types.Size), "Longest request line (method, target, version); longer gets 414; 0 = no limit. gunicorn: --limit-request-line.", l => l.MaxRequestLine, (l, v) => l with { MaxRequestLine = v }, Defaults.MaxRequestLine.ToString() },
        { "max_header_count", Types.OptionalValue(Types.Count(0, MostHeaderCount)), "Most header fields in a request; more gets 431; 0 = gunicorn's most, 32768. gunicorn: --limit-request-fields.", l => l.MaxHeaderCount, (l, v) => l with { MaxHeaderCount = v }, Defaults.MaxHeaderCount.ToString() },
        { "max_header_size", Types.OptionalValue(Types.Size), "Largest single header field line; larger gets 431. The whole head may be 4 times this, at least 32KiB. 0 = no limit of its own (the head stays within 1MiB). gunicorn: --limit-request-field_size.", l => l.MaxHeaderSize, (l, v) => l with { MaxHeaderSize = v }, Defaults.MaxHeaderSize.ToString() },
        { "max_body_size", Types.OptionalValue(Types.Size), "Largest request body; larger gets 413; 0 = no limit. The front buffers bodies (to disk when large), so its default is 100MiB rather than nginx's 1m; raise it for uploads with max_body_size = \"1GiB\" (or --max-request-body 1g). nginx: client_max_body_size.", l => l.MaxBodySize, (l, v) => l with { MaxBodySize = v }, Defaults.MaxBodySize.ToString() },
        { "header_timeout", Types.OptionalValue(Types.Duration), "Time allowed to receive a request's head; beyond it 408 (slowloris protection); 0 = no limit. nginx: client_header_timeout.", l => l.HeaderTimeout, (l, v) => l with { HeaderTimeout = v }, DurationText.Format(Defaults.HeaderTimeout!.Value) },
        { "keepalive_timeout", Types.OptionalValue(Types.Duration), "How long an idle keep-alive connection waits for its next request; 0 = close after each response. gunicorn: --keep-alive; nginx: keepalive_timeout.", l => l.KeepaliveTimeout, (l, v) => l with { KeepaliveTimeout = v }, DurationText.Format(Defaults.KeepaliveTimeout!.Value) },
        { "min_request_body_rate", Types.OptionalValue(Types.Size), "Slowest accepted request body, in bytes per second (after a 5 s grace period); slower gets 408; 0 = no minimum.", l => l.MinRequestBodyRate, (l, v) => l with { MinRequestBodyRate = v }, Defaults.MinRequestBodyRate.ToString() },
        { "max_connections", Types.OptionalValue(Types.Count(0)), "Most open connections at once; one more gets 503 and is closed; 0 = no limit.", l => l.MaxConnections, (l, v) => l with { MaxConnections = v }, Defaults.MaxConnections.ToString() },
        { "max_connections_per_client", Types.OptionalValue(Types.Count(0)), "Most open connections from one client address (trusted proxies exempt); 0 = no limit.", l => l.MaxConnectionsPerClient, (l, v) => l with { MaxConnectionsPerClient = v }, Defaults.MaxConnectionsPerClient.ToString() },
    };
}
