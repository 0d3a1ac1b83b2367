using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>How a request picks one server of an upstream.</summary>
public enum LoadBalancingPolicy
{
    /// <summary>Each server in turn, in proportion to its weight (nginx's default, smooth weighted round robin).</summary>
    RoundRobin,

    /// <summary>The server with the fewest requests in flight per weight (nginx <c>least_conn</c>).</summary>
    LeastRequests,

    /// <summary>Two servers at random, the one with fewer requests in flight per weight (nginx <c>random two least_conn</c>).</summary>
    PowerOfTwoChoices,

    /// <summary>A server at random, in proportion to its weight.</summary>
    Random,

    /// <summary>The server a cookie names; a client without it gets one (Caddy <c>lb_policy cookie</c>).</summary>
    Cookie,

    /// <summary>The server the client address hashes to; a server's going away moves only its own clients (nginx <c>hash $remote_addr consistent</c>).</summary>
    ClientAddressHash,
}

/// <summary>Which headers tell the upstream who the client was.</summary>
public enum ForwardedHeadersToSend
{
    /// <summary>X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host: what most apps read.</summary>
    XForwarded,

    /// <summary>RFC 7239 Forwarded.</summary>
    Forwarded,

    Both,

    None,
}

/// <summary>
/// One <c>[upstream.NAME]</c>: the servers a <c>proxy</c> route sends requests to (nginx's <c>upstream</c> block,
/// Caddy's <c>reverse_proxy</c> options), how one is chosen, and how a failing one is noticed and left out.
/// </summary>
public sealed record UpstreamConfig
{
    public string Name { get; init; } = "";

    public IReadOnlyList<UpstreamServerConfig> Servers { get; init; } = [];

    public LoadBalancingPolicy Policy { get; init; } = LoadBalancingPolicy.RoundRobin;

    public const string DefaultStickyCookie = "pyhost_upstream";

    /// <summary>The cookie of <see cref="LoadBalancingPolicy.Cookie"/>; null = <see cref="DefaultStickyCookie"/>.</summary>
    public string? StickyCookie { get; init; }

    /// <summary>Active checks: null = none, every server counts as healthy unless the passive checks say otherwise.</summary>
    public HealthCheckConfig? HealthCheck { get; init; }

    /// <summary>Consecutive failed requests (connection errors, timeouts, <see cref="UnhealthyStatus"/>) that mark a server down; 0 = never.</summary>
    public int MaxFails { get; init; } = 3;

    /// <summary>How long a server marked down by failed requests is left out (nginx <c>fail_timeout</c>).</summary>
    public TimeSpan FailTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Response statuses that count as a failed request for <see cref="MaxFails"/>.</summary>
    public IReadOnlyList<int> UnhealthyStatus { get; init; } = [502, 503, 504];

    /// <summary>How many other servers an idempotent request is tried on when a connection fails, if its body is not
    /// lost: none, or one of up to 64 KiB read ahead.</summary>
    public int Retries { get; init; } = 2;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait for the response head, and between two reads of the body (nginx <c>proxy_read_timeout</c>).</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections to each server at once; 0 = no limit. A server's own <c>max_connections</c> wins.</summary>
    public int MaxConnections { get; init; }

    public HttpProtocol Protocol { get; init; } = HttpProtocol.Http1;

    /// <summary>Send the client's Host header (true), or the server's host and port (false, nginx's default).</summary>
    public bool PreserveHost { get; init; } = true;

    public ForwardedHeadersToSend ForwardedHeaders { get; init; } = ForwardedHeadersToSend.XForwarded;

    /// <summary>An upstream of one server with every default, for <c>proxy = "http://HOST:PORT"</c>.</summary>
    public static UpstreamConfig ForOneServer(UpstreamAddress address) =>
        new() { Name = address.Text, Servers = [new UpstreamServerConfig { Address = address }] };

    private static readonly ChoiceType<LoadBalancingPolicy> PolicyType = new(
        [("round_robin", LoadBalancingPolicy.RoundRobin), ("least_requests", LoadBalancingPolicy.LeastRequests),
         ("power_of_two_choices", LoadBalancingPolicy.PowerOfTwoChoices), ("random", LoadBalancingPolicy.Random),
         ("cookie", LoadBalancingPolicy.Cookie), ("client_address_hash", LoadBalancingPolicy.ClientAddressHash)]);

    private static readonly TextType CookieNameType = new("a cookie name", text =>
        text.Length == 0 || !text.All(c => c > ' ' && c < 127 && !"()<>@,;:\\\"/[]?={}".Contains(c))
            ? ($"\"{text}\" is not a cookie name", "letters, digits and -_.!#$%&'*+^`|~ (RFC 6265 §4.1.1)")
            : null, pattern: "^[!#-'*+.0-9A-Z^-z|~-]+$");

    public static ConfigTable<UpstreamConfig> Table { get; } = CreateTable();

    private static ConfigTable<UpstreamConfig> CreateTable()
    {
        var table = new ConfigTable<UpstreamConfig>("[upstream.NAME]", "Servers a proxy route sends requests to (nginx's upstream block), how one is chosen, and how a failing one is left out; routes name it with proxy = \"NAME\".", () => new UpstreamConfig())
        {
            { "servers", Types.List(new UpstreamServerType()), "The servers: \"http://10.0.0.1:8000\", \"https://host:443\", \"unix:/run/app.sock\", or { address = \"...\", weight = 2, max_connections = 100 }. Required.", u => u.Servers, (u, v) => u with { Servers = v }, "required" },
            { "policy", PolicyType, "How a request picks a server: \"round_robin\", \"least_requests\", \"power_of_two_choices\", \"random\", \"cookie\" (sticky, by sticky_cookie) or \"client_address_hash\" (sticky by client address). All weigh servers by weight.", u => u.Policy, (u, v) => u with { Policy = v } },
            { "sticky_cookie", Types.Optional(CookieNameType), "With policy = \"cookie\": the cookie that names a client's server.", u => u.StickyCookie, (u, v) => u with { StickyCookie = v }, DefaultStickyCookie },
            { "health_check", Types.Optional(Types.Table(HealthCheckConfig.Table, printInline: true)), "Active health checks: { path = \"/_pyhost/ready\", interval = \"5s\", timeout = \"2s\", healthy_threshold = 2, unhealthy_threshold = 3 }. A 2xx or 3xx answer passes.", u => u.HealthCheck, (u, v) => u with { HealthCheck = v }, "none" },
            { "max_fails", Types.Count(0), "Passive health: this many failed requests in a row (connection errors, timeouts, an unhealthy_status) mark a server down for fail_timeout; 0 = never. nginx: max_fails.", u => u.MaxFails, (u, v) => u with { MaxFails = v } },
            { "fail_timeout", Types.Duration, "How long a server marked down by failed requests is left out. nginx: fail_timeout.", u => u.FailTimeout, (u, v) => u with { FailTimeout = v } },
            { "unhealthy_status", Types.List(Types.Count(500, 599)), "Response statuses that count as failed requests for max_fails.", u => u.UnhealthyStatus, (u, v) => u with { UnhealthyStatus = v } },
            { "retries", Types.Count(0, 16), "How many other servers an idempotent request (GET, HEAD, PUT, DELETE, ...) is tried on when the connection to one fails, if it has no body or one of at most 64 KiB (read whole before it is sent). nginx: proxy_next_upstream_tries.", u => u.Retries, (u, v) => u with { Retries = v } },
            { "connect_timeout", Types.Duration, "Longest wait for a connection to a server; past it the client gets 504. nginx: proxy_connect_timeout.", u => u.ConnectTimeout, (u, v) => u with { ConnectTimeout = v } },
            { "response_timeout", Types.Duration, "Longest wait for the response head, and between two reads of its body; past it the client gets 504 (or a cut response). nginx: proxy_read_timeout.", u => u.ResponseTimeout, (u, v) => u with { ResponseTimeout = v } },
            { "max_connections", Types.Count(0), "Busy connections to each server at once (one request each); requests beyond wait for one. Idle kept-alive connections are not counted. 0 = no limit. nginx: max_conns.", u => u.MaxConnections, (u, v) => u with { MaxConnections = v } },
            { "protocol", Types.Choice(("h1", HttpProtocol.Http1), ("h2", HttpProtocol.Http2)), "HTTP version to the servers: \"h1\", or \"h2\" (by ALPN over https, prior knowledge over http).", u => u.Protocol, (u, v) => u with { Protocol = v } },
            { "preserve_host", Types.Boolean, "Send the client's Host header (true), or the server's host:port (false, nginx's default).", u => u.PreserveHost, (u, v) => u with { PreserveHost = v } },
            { "forwarded_headers", Types.Choice(("x-forwarded", ForwardedHeadersToSend.XForwarded), ("forwarded", ForwardedHeadersToSend.Forwarded), ("both", ForwardedHeadersToSend.Both), ("none", ForwardedHeadersToSend.None)), "Which headers name the client to the servers: \"x-forwarded\" (X-Forwarded-For/-Proto/-Host), \"forwarded\" (RFC 7239), \"both\" or \"none\". From a peer in forwarded_allow_ips the chain it sent is extended; from any other peer it is replaced.", u => u.ForwardedHeaders, (u, v) => u with { ForwardedHeaders = v } },
        };
        table.Check((upstream, node, context, path) =>
        {
            if (upstream.Servers.Count == 0 && node["servers"] is null)
            {
                context.Error(node, path, "an upstream needs servers", "servers = [\"http://127.0.0.1:9000\", \"unix:/run/app.sock\"]");
            }
            else if (node["servers"] is TomlArray { Items.Count: 0 })
            {
                context.Error(node["servers"]!, ReadContext.Join(path, "servers"), "an upstream needs at least one server", "servers = [\"http://127.0.0.1:9000\"]");
            }
            if (node.Entry("sticky_cookie") is { } cookie && upstream.StickyCookie is not null && upstream.Policy != LoadBalancingPolicy.Cookie)
            {
                context.Diagnostics.Error(cookie.KeyOrigin, ReadContext.Join(path, "sticky_cookie"), "sticky_cookie is used by policy = \"cookie\" only", "add policy = \"cookie\", or remove sticky_cookie");
            }
            return upstream;
        });
        return table;
    }
}

/// <summary>One server of an upstream.</summary>
public sealed record UpstreamServerConfig
{
    public UpstreamAddress Address { get; init; } = null!;

    /// <summary>Its share of the requests relative to the others (nginx <c>weight</c>).</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Connections to it at once; null = the upstream's max_connections.</summary>
    public int? MaxConnections { get; init; }

    public static ConfigTable<UpstreamServerConfig> Table { get; } = CreateTable();

    private static ConfigTable<UpstreamServerConfig> CreateTable()
    {
        var table = new ConfigTable<UpstreamServerConfig>("upstream.servers", "A server of an upstream written as a table, to give it a weight or a connection limit.", () => new UpstreamServerConfig())
        {
            { "address", new UpstreamAddressType(), "\"http://HOST:PORT\", \"https://HOST:PORT\", \"HOST:PORT\" or \"unix:PATH\". Required.", s => s.Address, (s, v) => s with { Address = v }, "required" },
            { "weight", Types.Count(1, 1000), "Its share of requests relative to the other servers. nginx: weight.", s => s.Weight, (s, v) => s with { Weight = v } },
            { "max_connections", Types.OptionalValue(Types.Count(0)), "Busy connections to this server at once; 0 = no limit. Default: the upstream's max_connections.", s => s.MaxConnections, (s, v) => s with { MaxConnections = v }, "the upstream's max_connections" },
        };
        table.Check((server, node, context, path) =>
        {
            if (node["address"] is null)
            {
                context.Error(node, path, "a server needs an address", "{ address = \"http://10.0.0.1:8000\", weight = 2 }");
            }
            return server;
        });
        return table;
    }
}

/// <summary>Active health checks of an upstream's servers: an HTTP GET of a path, as HAProxy's <c>option httpchk</c>.</summary>
public sealed record HealthCheckConfig
{
    public string Path { get; init; } = "/";

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Passed checks in a row that bring a down server back (HAProxy <c>rise</c>).</summary>
    public int HealthyThreshold { get; init; } = 2;

    /// <summary>Failed checks in a row that mark a server down (HAProxy <c>fall</c>).</summary>
    public int UnhealthyThreshold { get; init; } = 3;

    private static readonly TextType CheckPathType = new("a path such as \"/_pyhost/ready\"", text =>
        !text.StartsWith('/') || text.Any(c => c <= ' ' || c == 127) ? ($"\"{text}\" is not a request path", "write it from the root, e.g. \"/_pyhost/ready\" or \"/health?full=1\"") : null, pattern: "^/");

    public static ConfigTable<HealthCheckConfig> Table { get; } = new("upstream.health_check", "Active health checks: PyHost asks each server for path every interval; a 2xx or 3xx answer within timeout passes.", () => new HealthCheckConfig())
    {
        { "path", CheckPathType, "The path asked for with GET, e.g. \"/_pyhost/ready\" (another PyHost's readiness).", h => h.Path, (h, v) => h with { Path = v } },
        { "interval", Types.Duration, "Time between two checks of a server.", h => h.Interval, (h, v) => h with { Interval = v } },
        { "timeout", Types.Duration, "A check not answered within this fails.", h => h.Timeout, (h, v) => h with { Timeout = v } },
        { "healthy_threshold", Types.Count(1, 100), "Passed checks in a row that bring a down server back. HAProxy: rise.", h => h.HealthyThreshold, (h, v) => h with { HealthyThreshold = v } },
        { "unhealthy_threshold", Types.Count(1, 100), "Failed checks in a row that mark a server down. HAProxy: fall.", h => h.UnhealthyThreshold, (h, v) => h with { UnhealthyThreshold = v } },
    };
}
