using System.Net;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Tls.Acme;
using PyHost.Tls.Certificates;
using PyHost.Tls.Handshake;
using PyHost.Tls.LocalCa;
using PyHost.Tls.State;

namespace PyHost.Tls;

public sealed partial class TlsFront
{
    /// <summary>
    /// Loads every certificate file, opens the state directory for automatic certificates, and prepares each TLS
    /// listener's handshake. Throws <see cref="CertificateLoadException"/> for a file that cannot be served (the
    /// message names it); nothing listens yet.
    /// </summary>
    public static TlsFront Create(TlsFrontOptions options, ILoggerFactory loggers) => new(options, loggers);

    private TlsFront(TlsFrontOptions options, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("pyhost.tls");
        _listeners = options.Listeners;
        _challenges = new ChallengeResponses();
        bool anyAutoListener = options.Listeners.Any(listener => listener.Tls == ListenerTls.Auto);
        bool anyTlsListener = options.Listeners.Any(listener => listener.Tls != ListenerTls.None);

        var fileSlots = new Dictionary<(string, string?), CertificateSlot>();
        CertificateSlot FileSlot(string certificate, string? key)
        {
            if (!fileSlots.TryGetValue((certificate, key), out CertificateSlot? slot))
            {
                slot = new CertificateSlot(certificate);
                slot.Install(PemCertificateLoader.Load(certificate, key));
                WarnIfNotCurrent(slot.Current!);
                fileSlots[(certificate, key)] = slot;
            }
            return slot;
        }

        // Sites: each host name's certificate, from the site's files or managed (ACME, or the local CA).
        var managed = new List<ManagedName>();
        var managedSlots = new Dictionary<string, CertificateSlot>(StringComparer.OrdinalIgnoreCase);
        CertificateSlot Managed(string name)
        {
            if (!managedSlots.TryGetValue(name, out CertificateSlot? slot))
            {
                slot = new CertificateSlot(name);
                managedSlots[name] = slot;
                managed.Add(new ManagedName(name, slot, LocalCertificateAuthority.IsLocalName(name)));
            }
            return slot;
        }
        var sites = new HostTable<CertificateSlot>();
        CertificateSlot? defaultSite = null;
        _hsts = new HostTable<string>();
        foreach (SiteConfig site in options.Sites)
        {
            SiteTls? tls = site.Tls ?? (anyAutoListener && site.Hosts.Count > 0 ? SiteTls.Auto : null);
            CertificateSlot? first = null;
            if (tls is { IsAuto: false, Certificate: { } certificate })
            {
                first = FileSlot(certificate, tls.Key);
                foreach (HostPattern host in site.Hosts)
                {
                    sites.Add(host, first);
                }
            }
            else if (tls is { IsAuto: true })
            {
                foreach (HostPattern host in site.Hosts)
                {
                    CertificateSlot slot = Managed(host.Text);
                    sites.Add(host, slot);
                    first ??= slot;
                }
            }
            if (site.IsDefault)
            {
                defaultSite ??= first;
                _defaultSiteHsts = site.Hsts?.HeaderValue;
            }
            if (site.Hsts is { } hsts && anyTlsListener)
            {
                foreach (HostPattern host in site.Hosts)
                {
                    _hsts.Add(host, hsts.HeaderValue);
                }
            }
        }

        // Listeners: their own certificate is the default for names no site claims; an "auto" listener without one
        // gets a local-CA certificate for its loopback names, so https://localhost works with no site configured.
        _handshakes = [];
        bool acmeNames = managed.Any(name => !name.Local);
        _answersTlsAlpn = acmeNames && options.Acme.Challenges.Contains(AcmeChallengeType.TlsAlpn01);
        foreach (ListenerConfig listener in options.Listeners.Where(listener => listener.Tls != ListenerTls.None))
        {
            CertificateSlot? fallback = listener.Certificate is { } certificate ? FileSlot(certificate, listener.Key) : defaultSite;
            if (fallback is null && listener.Tls == ListenerTls.Auto)
            {
                fallback = Managed(LocalFallbackName(listener.Address));
            }
            var selector = new CertificateSelector(sites, fallback);
            ClientCertificatePolicy? clients = ClientCertificatePolicy.Create(listener.ClientCertificates, listener.ClientCa);
            _handshakes[listener] = new ListenerHandshake(selector, Alpn(listener.Protocols), clients, _answersTlsAlpn ? _challenges : null);
        }

        foreach ((var (certificate, _), CertificateSlot slot) in fileSlots)
        {
            LogCertificateFile(certificate, slot.Current!.ToString());
        }
        if (fileSlots.Count > 0)
        {
            _fileWatcher = new CertificateFileWatcher(fileSlots.Select(entry => (entry.Value, entry.Key.Item1, entry.Key.Item2)),
                options.CertificatePollInterval, loggers.CreateLogger("pyhost.tls"));
        }
        if (managed.Count > 0)
        {
            _maintenance = CreateMaintenance(options, managed, acmeNames, loggers, out string? localCaRoot);
            LocalCaRoot = localCaRoot;
            _maintenance.LoadStored();
        }
    }

    private CertificateMaintenance CreateMaintenance(TlsFrontOptions options, List<ManagedName> managed, bool acmeNames, ILoggerFactory loggers, out string? localCaRoot)
    {
        StateDirectory state = StateDirectory.Resolve(options.StateDirectory);
        localCaRoot = null;
        LocalCertificateAuthority? localCa = null;
        if (managed.Any(name => name.Local))
        {
            localCa = LocalCertificateAuthority.OpenOrCreate(state, out bool created);
            localCaRoot = localCa.RootPath;
            LogLocalCa(created ? "Created a local CA" : "Local CA", localCa.RootPath, string.Join(", ", managed.Where(name => name.Local).Select(name => name.Name)));
        }
        AcmeIssuer? issuer = null;
        IssuedCertificateStore? acmeStore = null;
        var directory = new Uri(options.Acme.Directory);
        if (acmeNames)
        {
            System.Security.Cryptography.X509Certificates.X509Certificate2Collection? roots = null;
            if (options.Acme.CaRoot is { } caRoot)
            {
                roots = [];
                roots.ImportFromPemFile(caRoot);
            }
            var client = new AcmeClient(AcmeClient.CreateHttpClient(roots), directory, new AcmeJws(AcmeAccountKey.LoadOrCreate(state, directory)));
            var answerable = new HashSet<AcmeChallengeType>();
            if (options.Listeners.Any(listener => listener.Tls == ListenerTls.None && listener.Address.Protocol == ListenerProtocol.Http))
            {
                answerable.Add(AcmeChallengeType.Http01);
            }
            if (_answersTlsAlpn)
            {
                answerable.Add(AcmeChallengeType.TlsAlpn01);
            }
            issuer = new AcmeIssuer(client, options.Acme, _challenges, answerable, loggers.CreateLogger("pyhost.acme"));
            acmeStore = new IssuedCertificateStore(state, IssuedCertificateStore.IssuerName(directory));
            LogAcme(directory.ToString(), string.Join(", ", managed.Where(name => !name.Local).Select(name => name.Name)),
                string.Join(", ", options.Acme.Challenges.Where(answerable.Contains).Select(AcmeIssuer.TypeName)));
        }
        return new CertificateMaintenance(managed, localCa, localCa is null ? null : new IssuedCertificateStore(state, "local"),
            issuer, acmeStore, directory.ToString(), loggers.CreateLogger("pyhost.tls"));
    }

    /// <summary>The name a certificate-less "auto" listener answers with: its own address, else localhost.</summary>
    private static string LocalFallbackName(ListenAddress address) =>
        address.Address is { } ip && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) ? ip.ToString() : "localhost";

    private void WarnIfNotCurrent(ServerCertificate certificate)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (certificate.NotAfter < now || certificate.NotBefore > now)
        {
            LogNotCurrent(certificate.ToString());
        }
    }

    [LoggerMessage(EventId = 730, Level = LogLevel.Information, Message = "TLS certificate {File}: {Certificate}")]
    private partial void LogCertificateFile(string file, string certificate);

    [LoggerMessage(EventId = 731, Level = LogLevel.Warning, Message = "TLS certificate is outside its validity period; clients will refuse it: {Certificate}")]
    private partial void LogNotCurrent(string certificate);

    [LoggerMessage(EventId = 732, Level = LogLevel.Information, Message = "{What}: {Root} signs certificates for {Names} (pyhost trust says how to trust it)")]
    private partial void LogLocalCa(string what, string root, string names);

    [LoggerMessage(EventId = 733, Level = LogLevel.Information, Message = "ACME: {Directory} for {Names}, challenges {Challenges}")]
    private partial void LogAcme(string directory, string names, string challenges);
}
