using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>
/// The whole configuration: listeners, sites with their routes, apps, and the server's own settings. Every source —
/// pyhost.toml, [tool.pyhost], a gunicorn .py file, the environment, command-line flags — produces this one model,
/// so the server has one code path. Immutable: a reload builds a new one.
/// </summary>
public sealed record PyHostConfig
{
    public ServerConfig Server { get; init; } = new();

    public LogConfig Log { get; init; } = new();

    public AdminConfig Admin { get; init; } = new();

    public IReadOnlyList<ListenerConfig> Listeners { get; init; } = [];

    public IReadOnlyList<SiteConfig> Sites { get; init; } = [];

    public IReadOnlyList<AppConfig> Apps { get; init; } = [];

    public IReadOnlyList<UpstreamConfig> Upstreams { get; init; } = [];

    /// <summary>Where automatic certificates come from.</summary>
    public AcmeConfig Acme { get; init; } = new();

    /// <summary>Where each setting came from.</summary>
    public ConfigProvenance Provenance { get; init; } = ConfigProvenance.Empty;

    /// <summary>The config file read, if any.</summary>
    public string? SourceFile { get; init; }

    /// <summary>The text of the pyhost.toml read (or last written back by the admin API): a write-back edits it, and
    /// refuses when the file on disk is no longer this text.</summary>
    public string? SourceText { get; init; }

    public AppConfig? App(string name) => Apps.FirstOrDefault(app => app.Name == name);

    /// <summary>The root table: the top level of pyhost.toml, or [tool.pyhost] in pyproject.toml.</summary>
    public static ConfigTable<PyHostConfig> Table { get; } = new("pyhost.toml", "The PyHost configuration file: pyhost.toml, or the [tool.pyhost] table of pyproject.toml.", () => new PyHostConfig())
    {
        { "server", Types.Table(ServerConfig.Table), "Settings of the PyHost process, and defaults the apps inherit.", c => c.Server, (c, v) => c with { Server = v } },
        { "log", Types.Table(LogConfig.Table), "The error log and the access log.", c => c.Log, (c, v) => c with { Log = v } },
        { "admin", Types.Table(AdminConfig.Table), "The admin API, its dashboard and metrics, and the OTLP export.", c => c.Admin, (c, v) => c with { Admin = v } },
        { "listen", Types.TableArray(ListenerConfig.Table), "Addresses to listen on, [[listen]].", c => c.Listeners, (c, v) => c with { Listeners = v } },
        { "site", Types.TableArray(SiteConfig.Table), "Sites, [[site]], chosen by host name.", c => c.Sites, (c, v) => c with { Sites = v } },
        { "acme", Types.Table(AcmeConfig.Table), "Where sites with tls = \"auto\" get their certificates (ACME).", c => c.Acme, (c, v) => c with { Acme = v } },
        { "app", new TableMapType<AppConfig>(AppConfig.Table, a => a.Name, (a, name) => a with { Name = name }), "Python apps, [app.NAME], each with its own worker pool.", c => c.Apps, (c, v) => c with { Apps = v } },
        { "upstream", new TableMapType<UpstreamConfig>(UpstreamConfig.Table, u => u.Name, (u, name) => u with { Name = name }), "Upstream servers, [upstream.NAME], that proxy routes send requests to.", c => c.Upstreams, (c, v) => c with { Upstreams = v } },
    };
}
