using PyHost.Http.Compression;
using PyHost.Http.Forwarding;
using PyHost.Http.Observability;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

public sealed record HttpFrontOptions
{
    public required IReadOnlyList<BindAddress> Binds { get; init; }

    /// <summary>The app's name in metrics, the status and the access log ("main" for the command line's app).</summary>
    public string AppName { get; init; } = "main";

    /// <summary>Live request rates and latencies per app, read by the admin API.</summary>
    public FrontStatistics Statistics { get; init; } = new();

    /// <summary>The sockets PyHost bound or inherited (Listening/ListenerSet); when given, they are served instead of
    /// <see cref="Binds"/>.</summary>
    public IReadOnlyList<Listening.FrontListener> Listeners { get; init; } = [];

    /// <summary>--backlog: the kernel's listen(2) backlog of connections not yet accepted (gunicorn's meaning).</summary>
    public int Backlog { get; init; } = 2048;

    /// <summary>How long in-flight requests may run on after a stop signal.</summary>
    public TimeSpan GracefulTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How requests for the app are buffered and limited on their way to the workers.</summary>
    public DispatchPolicy Dispatch { get; init; } = DispatchPolicy.Default;

    /// <summary>The <c>--static</c> mounts, answered by the front without a worker.</summary>
    public IReadOnlyList<StaticMount> StaticMounts { get; init; } = [];

    /// <summary>Response compression (<c>--compress</c>); null: responses are sent as the app and the files are.</summary>
    public CompressionOptions? Compression { get; init; }

    /// <summary>The site's own pages for the answers the front makes itself when the app cannot (502, 503, 504).</summary>
    public IReadOnlyList<ErrorPageFile> ErrorPageFiles { get; init; } = [];

    /// <summary>Request head sizes, timeouts and connection counts.</summary>
    public HttpLimits Limits { get; init; } = new();

    /// <summary>The peers whose proxy headers and PROXY protocol headers are believed (<c>--forwarded-allow-ips</c>).</summary>
    public TrustedProxies ForwardedAllowIps { get; init; } = TrustedProxies.Loopback;

    /// <summary>Which proxy headers a trusted peer's word is read from (<c>--forwarded-headers</c>).</summary>
    public ForwardedHeaderStyle ForwardedHeaders { get; init; } = ForwardedHeaderStyle.XForwarded;

    /// <summary>Every connection starts with a PROXY protocol v1 or v2 header (<c>--proxy-protocol</c>; per listener
    /// once the configuration file has listeners).</summary>
    public bool ProxyProtocol { get; init; }
}
