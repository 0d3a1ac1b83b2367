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

    /// <summary>Mongrel2 servers PyHost serves as a handler: "SEND_SPEC,RECV_SPEC" each (Mongrel2's Handler()).</summary>
    public IReadOnlyList<string> Mongrel2 { get; init; } = [];

    private static readonly TextType Mongrel2Handler = new("\"SEND_SPEC,RECV_SPEC\", two ZeroMQ endpoints", text =>
        text.Split(',', StringSplitOptions.TrimEntries) is [var send, var recv] && IsZeroMqEndpoint(send) && IsZeroMqEndpoint(recv)
            ? null
            : ($"'{text}': expected SEND_SPEC,RECV_SPEC, e.g. tcp://127.0.0.1:9997,tcp://127.0.0.1:9996 (Mongrel2's send_spec and recv_spec)",
               "each is tcp://HOST:PORT or ipc://PATH"));

    private static bool IsZeroMqEndpoint(string spec) =>
        spec.StartsWith("ipc://", StringComparison.Ordinal) ? spec.Length > "ipc://".Length
        : spec.StartsWith("tcp://", StringComparison.Ordinal) && spec.LastIndexOf(':') is var colon and > 5
          && int.TryParse(spec[(colon + 1)..], out int port) && port is > 0 and <= 65535;

    public static ConfigTable<ServerConfig> Table { get; } = new("[server]", "Settings of the PyHost process, and defaults the apps inherit.", () => new ServerConfig())
    {
        { "name", Types.Optional(Types.NonEmptyText), "Process name shown in ps and the logs. gunicorn: --name.", s => s.Name, (s, v) => s with { Name = v }, "pyhost" },
        { "pid_file", Types.Optional(Types.Path), "Write the server's process id to this file. gunicorn: --pid.", s => s.PidFile, (s, v) => s with { PidFile = v }, "none" },
        { "graceful_timeout", Types.Duration, "How long in-flight requests may run on after SIGTERM/SIGINT or a reload.", s => s.GracefulTimeout, (s, v) => s with { GracefulTimeout = v } },
        { "runtime_dir", Types.Optional(Types.Directory), "Directory for sockets and the worker package. Default: a private directory under $XDG_RUNTIME_DIR or /tmp.", s => s.RuntimeDir, (s, v) => s with { RuntimeDir = v }, "$XDG_RUNTIME_DIR or /tmp" },
        { "state_dir", Types.Optional(Types.Directory), "Directory kept across restarts: obtained certificates, ACME account keys (files 0600).", s => s.StateDir, (s, v) => s with { StateDir = v }, "$XDG_STATE_HOME/pyhost or ~/.local/state/pyhost" },
        { "max_queued_requests", Types.Count(1), "Requests that may wait for a free worker, per app; beyond that 503.", s => s.MaxQueuedRequests, (s, v) => s with { MaxQueuedRequests = v } },
        { "umask", Types.OptionalValue(Types.FileMode), "umask for files and unix sockets PyHost creates, e.g. 0o007. gunicorn: --umask.", s => s.Umask, (s, v) => s with { Umask = v }, "inherited" },
        { "mongrel2", Types.List(Mongrel2Handler), "Serve as the handler of Mongrel2 servers: \"SEND_SPEC,RECV_SPEC\" each, e.g. [\"tcp://127.0.0.1:9997,tcp://127.0.0.1:9996\"].", s => s.Mongrel2, (s, v) => s with { Mongrel2 = v } },
        { "forwarded_allow_ips", Types.List(Types.AddressRange, splitCommasWhenLenient: true), "Peers whose X-Forwarded-* and Forwarded headers are believed, for every site that does not set its own. gunicorn: --forwarded-allow-ips.", s => s.ForwardedAllowIps, (s, v) => s with { ForwardedAllowIps = v } },
    };
}
