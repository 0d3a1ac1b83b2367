using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>Which headers carry a trusted proxy's word about the client (<c>forwarded_headers</c>).</summary>
public enum ForwardedHeaderStyle
{
    /// <summary>X-Forwarded-For, -Proto, -Host and -Port, as nginx and most proxies send them.</summary>
    XForwarded,

    /// <summary>RFC 7239's Forwarded header.</summary>
    Forwarded,

    /// <summary>Neither: the peer is the client (PROXY protocol still gives the address on listeners that have it).</summary>
    None,
}

/// <summary><c>[server]</c>: settings of the PyHost process itself, and defaults every app inherits.</summary>
public sealed record ServerConfig
{
    public static readonly IReadOnlyList<string> LoopbackOnly = ["127.0.0.1", "::1"];

    /// <summary>The process name in ps and logs (gunicorn --name).</summary>
    public string? Name { get; init; }

    public string? PidFile { get; init; }

    public TimeSpan GracefulTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sockets and the worker package; null = $XDG_RUNTIME_DIR or /tmp, per process.</summary>
    public string? RuntimeDir { get; init; }

    /// <summary>Certificates, ACME account keys: kept across restarts.</summary>
    public string? StateDir { get; init; }

    public int MaxQueuedRequests { get; init; } = 2048;

    /// <summary>
    /// gunicorn's --umask: a unix socket whose listener sets no mode gets 0o666 less this mask; null = such sockets
    /// get 0o660.
    /// </summary>
    public int? Umask { get; init; }

    /// <summary>Peers whose forwarded headers (and PROXY protocol headers) are believed; default loopback, or $FORWARDED_ALLOW_IPS.</summary>
    public IReadOnlyList<string> ForwardedAllowIps { get; init; } = LoopbackOnly;

    public ForwardedHeaderStyle ForwardedHeaders { get; init; } = ForwardedHeaderStyle.XForwarded;

    private static readonly TextType ProcessNameType = new("a process name", text =>
        text.Length == 0 || text.Contains('/') || text.Any(char.IsControl)
            ? ($"'{text}' is not a plain name", "a process name has no '/' and no control characters; ps shows its first 15 bytes")
            : null, pattern: "^[^/\\u0000-\\u001f]+$");

    public static ConfigTable<ServerConfig> Table { get; } = new("[server]", "Settings of the PyHost process, and defaults the apps inherit.", () => new ServerConfig())
    {
        { "name", Types.Optional(ProcessNameType), "Process name of the server and its workers, as ps, top and pgrep show it (its first 15 bytes). gunicorn: --name.", s => s.Name, (s, v) => s with { Name = v }, "pyhost" },
        { "pid_file", Types.Optional(Types.Path), "Write the server's process id to this file. gunicorn: --pid.", s => s.PidFile, (s, v) => s with { PidFile = v }, "none" },
        { "graceful_timeout", Types.Duration, "How long in-flight requests may run on after SIGTERM/SIGINT or a reload.", s => s.GracefulTimeout, (s, v) => s with { GracefulTimeout = v } },
        { "runtime_dir", Types.Optional(Types.Directory), "Directory for sockets and the worker package. Default: a private directory under $XDG_RUNTIME_DIR or /tmp.", s => s.RuntimeDir, (s, v) => s with { RuntimeDir = v }, "$XDG_RUNTIME_DIR or /tmp" },
        { "state_dir", Types.Optional(Types.Directory), "Directory kept across restarts: obtained certificates, ACME account keys (files 0600).", s => s.StateDir, (s, v) => s with { StateDir = v }, "$XDG_STATE_HOME/pyhost or ~/.local/state/pyhost" },
        { "max_queued_requests", Types.Count(1), "Requests that may wait for a free worker, per app; beyond that 503.", s => s.MaxQueuedRequests, (s, v) => s with { MaxQueuedRequests = v } },
        { "umask", Types.OptionalValue(Types.Umask), "Mode mask for the unix sockets PyHost creates, as gunicorn applies it: a socket whose [[listen]] sets no mode gets 0o666 less this mask, e.g. 0o007 gives 0o660. gunicorn: --umask.", s => s.Umask, (s, v) => s with { Umask = v }, "none: sockets get 0o660" },
        { "forwarded_allow_ips", Types.List(Types.AddressRange, splitCommasWhenLenient: true), "Peers whose X-Forwarded-*, Forwarded and PROXY protocol headers are believed, for every site that does not set its own. gunicorn: --forwarded-allow-ips.", s => s.ForwardedAllowIps, (s, v) => s with { ForwardedAllowIps = v }, "$FORWARDED_ALLOW_IPS, else [\"127.0.0.1\", \"::1\"]" },
        { "forwarded_headers", Types.Choice(("x-forwarded", ForwardedHeaderStyle.XForwarded), ("forwarded", ForwardedHeaderStyle.Forwarded), ("none", ForwardedHeaderStyle.None)), "Which headers a trusted peer's word about the client is read from: \"x-forwarded\" (X-Forwarded-For, -Proto, -Host, -Port), \"forwarded\" (RFC 7239) or \"none\".", s => s.ForwardedHeaders, (s, v) => s with { ForwardedHeaders = v } },
    };
}
