using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

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

    /// <summary>The umask for files and unix sockets PyHost creates (gunicorn --umask); null = the inherited one.</summary>
    public int? Umask { get; init; }

    public IReadOnlyList<string> ForwardedAllowIps { get; init; } = LoopbackOnly;

    /// <summary>After SIGTERM, how long PyHost keeps serving while /_pyhost/ready answers 503, so balancers stop sending first.</summary>
    public TimeSpan DrainDelay { get; init; } = TimeSpan.Zero;

    public static ConfigTable<ServerConfig> Table { get; } = new("[server]", "Settings of the PyHost process, and defaults the apps inherit.", () => new ServerConfig())
    {
        { "name", Types.Optional(Types.NonEmptyText), "Process name shown in ps and the logs. gunicorn: --name.", s => s.Name, (s, v) => s with { Name = v }, "pyhost" },
        { "pid_file", Types.Optional(Types.Path), "Write the server's process id to this file. gunicorn: --pid.", s => s.PidFile, (s, v) => s with { PidFile = v }, "none" },
        { "graceful_timeout", Types.Duration, "How long in-flight requests may run on after SIGTERM/SIGINT or a reload.", s => s.GracefulTimeout, (s, v) => s with { GracefulTimeout = v } },
        { "runtime_dir", Types.Optional(Types.Directory), "Directory for sockets and the worker package. Default: a private directory under $XDG_RUNTIME_DIR or /tmp.", s => s.RuntimeDir, (s, v) => s with { RuntimeDir = v }, "$XDG_RUNTIME_DIR or /tmp" },
        { "state_dir", Types.Optional(Types.Directory), "Directory kept across restarts: obtained certificates, ACME account keys (files 0600).", s => s.StateDir, (s, v) => s with { StateDir = v }, "$XDG_STATE_HOME/pyhost or ~/.local/state/pyhost" },
        { "max_queued_requests", Types.Count(1), "Requests that may wait for a free worker, per app; beyond that 503.", s => s.MaxQueuedRequests, (s, v) => s with { MaxQueuedRequests = v } },
        { "umask", Types.OptionalValue(Types.FileMode), "umask for files and unix sockets PyHost creates, e.g. 0o007. gunicorn: --umask.", s => s.Umask, (s, v) => s with { Umask = v }, "inherited" },
        { "forwarded_allow_ips", Types.List(Types.AddressRange, splitCommasWhenLenient: true), "Peers whose X-Forwarded-* and Forwarded headers are believed, for every site that does not set its own. gunicorn: --forwarded-allow-ips.", s => s.ForwardedAllowIps, (s, v) => s with { ForwardedAllowIps = v } },
        { "drain_delay", Types.Duration, "After SIGTERM/SIGINT, how long PyHost goes on taking requests while /_pyhost/ready answers 503, before it stops listening and lets in-flight requests finish: give load balancers time to notice (their check interval times their fall count). Kubernetes' preStop does the same.", s => s.DrainDelay, (s, v) => s with { DrainDelay = v } },
    };
}
