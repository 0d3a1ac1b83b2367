using PyHost.Configuration.Model;

namespace PyHost.Tls;

/// <summary>What the TLS front is built from: the configuration model's listeners, sites, [acme] and state directory.</summary>
public sealed record TlsFrontOptions
{
    public required IReadOnlyList<ListenerConfig> Listeners { get; init; }

    public IReadOnlyList<SiteConfig> Sites { get; init; } = [];

    public AcmeConfig Acme { get; init; } = new();

    /// <summary>[server] state_dir; null = $XDG_STATE_HOME/pyhost or ~/.local/state/pyhost.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>How often certificate files are read again in case a change went unnoticed by inotify.</summary>
    public TimeSpan CertificatePollInterval { get; init; } = TimeSpan.FromSeconds(60);

    public static TlsFrontOptions From(PyHostConfig config) => new()
    {
        Listeners = config.Listeners,
        Sites = config.Sites,
        Acme = config.Acme,
        StateDirectory = config.Server.StateDir,
    };

    /// <summary>Whether anything here needs the TLS front: a TLS listener or an https redirect.</summary>
    public bool IsNeeded => Listeners.Any(listener => listener.Tls != ListenerTls.None || listener.HttpsRedirect);
}
