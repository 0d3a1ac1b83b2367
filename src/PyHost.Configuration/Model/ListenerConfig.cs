using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

public enum ListenerTls
{
    /// <summary>Plain connections.</summary>
    None,

    /// <summary>TLS with certificates from PEM files: the listener's own, or each site's, chosen by SNI.</summary>
    Files,

    /// <summary>TLS with certificates obtained automatically (ACME, or a local CA for names with no public domain).</summary>
    Auto,
}

public enum ClientCertificates
{
    None,
    Optional,
    Required,
}

public enum HttpProtocol
{
    Http1,
    Http2,
}

/// <summary>PROXY protocol (HAProxy's) in front of each connection: which versions are accepted.</summary>
public enum ProxyProtocol
{
    Off,
    V1,
    V2,
    Any,
}

/// <summary>One <c>[[listen]]</c>: an address and how connections to it are spoken to.</summary>
public sealed record ListenerConfig
{
    public static readonly ListenAddress DefaultAddress = ListenAddress.TryParse("127.0.0.1:8000", "/", out ListenAddress? address, out _)
        ? address
        : throw new InvalidOperationException("the default address does not parse");

    public ListenAddress Address { get; init; } = DefaultAddress;

    public ListenerTls Tls { get; init; } = ListenerTls.None;

    /// <summary>The listener's own certificate chain (PEM), served when no site's certificate fits (and without SNI).</summary>
    public string? Certificate { get; init; }

    public string? Key { get; init; }

    /// <summary>CA certificates (PEM) that client certificates must chain to (mutual TLS; gunicorn --ca-certs).</summary>
    public string? ClientCa { get; init; }

    public ClientCertificates ClientCertificates { get; init; } = ClientCertificates.None;

    public IReadOnlyList<HttpProtocol> Protocols { get; init; } = [HttpProtocol.Http1, HttpProtocol.Http2];

    public ProxyProtocol ProxyProtocol { get; init; } = ProxyProtocol.Off;

    /// <summary>The mode of a unix socket; null = 0o666 less [server] umask when that is set, else 0o660 (nginx in the socket's group can connect).</summary>
    public int? Mode { get; init; }

    /// <summary>The kernel's listen backlog (gunicorn --backlog).</summary>
    public int Backlog { get; init; } = 2048;

    public LimitsConfig Limits { get; init; } = new();

    /// <summary>Answer every request with a redirect to the same URL over HTTPS (the usual port-80 listener).</summary>
    public bool HttpsRedirect { get; init; }

    /// <summary>Answer /_pyhost/live and /_pyhost/ready before any site; null = on loopback and unix listeners only.</summary>
    public bool? HealthEndpoints { get; init; }

    /// <summary>Whether this listener answers the health endpoints: as set, else only where no stranger can reach them.</summary>
    public bool ServesHealthEndpoints => HealthEndpoints ?? (Address.IsUnixSocket || Address.IsLocalhost || Address.Address is { } ip && System.Net.IPAddress.IsLoopback(ip));

    private static readonly ChoiceType<HttpProtocol> ProtocolType = Types.Choice(("h1", HttpProtocol.Http1), ("h2", HttpProtocol.Http2));

    public static ConfigTable<ListenerConfig> Table { get; } = CreateTable();

    private static ConfigTable<ListenerConfig> CreateTable()
    {
        var table = new ConfigTable<ListenerConfig>("[[listen]]", "An address to listen on. Without any [[listen]], PyHost listens on 127.0.0.1:8000 ($PORT: 0.0.0.0:$PORT).", () => new ListenerConfig())
        {
            { "address", new ListenAddressType(), "HOST:PORT, [IPV6]:PORT or unix:PATH for HTTP; uwsgi://, fastcgi://, scgi:// (and uwsgi+unix:PATH, ...) for a web server in front. Required.", l => l.Address, (l, v) => l with { Address = v }, "required" },
            { "tls", new ChoiceType<ListenerTls>([("none", ListenerTls.None), ("files", ListenerTls.Files), ("auto", ListenerTls.Auto)]), "\"none\"; \"files\": certificates from PEM files (the listener's certificate/key, or each site's, chosen by SNI); \"auto\": certificates obtained automatically for each site's host names.", l => l.Tls, (l, v) => l with { Tls = v } },
            { "certificate", Types.Optional(Types.Path), "PEM certificate chain used when no site's certificate fits the name asked for. gunicorn: --certfile.", l => l.Certificate, (l, v) => l with { Certificate = v } },
            { "key", Types.Optional(Types.Path), "PEM private key of 'certificate'. gunicorn: --keyfile.", l => l.Key, (l, v) => l with { Key = v } },
            { "client_ca", Types.Optional(Types.Path), "PEM CA certificates that client certificates must chain to (mutual TLS). gunicorn: --ca-certs.", l => l.ClientCa, (l, v) => l with { ClientCa = v } },
            { "client_certificates", new ChoiceType<ClientCertificates>([("none", ClientCertificates.None), ("optional", ClientCertificates.Optional), ("required", ClientCertificates.Required)]), "Whether clients must show a certificate. gunicorn: --cert-reqs 0/1/2.", l => l.ClientCertificates, (l, v) => l with { ClientCertificates = v } },
            { "protocols", Types.List(ProtocolType), "HTTP versions offered: \"h1\", \"h2\" (over TLS by ALPN; in plain text as h2c).", l => l.Protocols, (l, v) => l with { Protocols = v } },
            { "proxy_protocol", new ChoiceType<ProxyProtocol>([("off", ProxyProtocol.Off), ("v1", ProxyProtocol.V1), ("v2", ProxyProtocol.V2), ("any", ProxyProtocol.Any)], new Dictionary<string, ProxyProtocol> { ["auto"] = ProxyProtocol.Any, ["true"] = ProxyProtocol.Any, ["false"] = ProxyProtocol.Off }), "Expect a PROXY protocol header (HAProxy, AWS NLB) before each connection: \"off\", \"v1\", \"v2\" or \"any\". It is believed from forwarded_allow_ips peers only.", l => l.ProxyProtocol, (l, v) => l with { ProxyProtocol = v } },
            { "mode", Types.OptionalValue(Types.FileMode), "File mode of a unix socket, e.g. 0o660 (the socket's group, nginx's, may connect).", l => l.Mode, (l, v) => l with { Mode = v }, "0o666 less [server] umask if set, else 0o660" },
            { "backlog", Types.Count(1), "The kernel's queue of connections not yet accepted (listen(2); the kernel caps it at net.core.somaxconn). gunicorn: --backlog.", l => l.Backlog, (l, v) => l with { Backlog = v } },
            { "https_redirect", Types.Boolean, "Answer every request with 308 to the same URL over https:// (the usual port-80 listener): no site sees it.", l => l.HttpsRedirect, (l, v) => l with { HttpsRedirect = v } },
            { "limits", Types.Table(LimitsConfig.Table), "Limits and timeouts for connections to this listener.", l => l.Limits, (l, v) => l with { Limits = v } },
            { "health_endpoints", Types.OptionalValue(Types.Boolean), "Answer GET /_pyhost/live (the front is up) and /_pyhost/ready (every app has a ready worker and PyHost is not draining; else 503) on this listener, before any site. For load balancer and Kubernetes probes.", l => l.HealthEndpoints, (l, v) => l with { HealthEndpoints = v }, "on loopback and unix listeners only" },
        };
        table.Check(CheckListener);
        return table;
    }

    private static ListenerConfig CheckListener(ListenerConfig listener, TomlTable node, ReadContext context, string path)
    {
        if (node["address"] is null)
        {
            context.Error(node, path, "a [[listen]] needs an address", "address = \"0.0.0.0:8000\"");
        }
        // Read leniently, the keys come from gunicorn's flags (or its .py file), and the messages use their names:
        // --certfile turns TLS on there, and may hold the key too (Python's load_cert_chain reads it from there).
        bool gunicornFlags = context.Lenient;
        bool tlsKeyWithoutTls = false;
        if (listener.Tls == ListenerTls.None)
        {
            string[] tlsKeys = gunicornFlags ? ["key", "client_ca", "client_certificates"] : ["certificate", "key", "client_ca"];
            foreach (string key in tlsKeys)
            {
                if (node.Entry(key) is not { } entry)
                {
                    continue;
                }
                tlsKeyWithoutTls = true;
                if (gunicornFlags)
                {
                    context.Diagnostics.Error(entry.KeyOrigin, ReadContext.Join(path, key), "--keyfile, --ca-certs and --cert-reqs go with --certfile, which turns TLS on",
                        "add --certfile FILE (the certificate chain)");
                    break;
                }
                context.Diagnostics.Error(entry.KeyOrigin, ReadContext.Join(path, key), $"'{key}' is given but tls is \"none\"", "add tls = \"files\" to serve TLS on this listener");
            }
        }
        if (!gunicornFlags && (listener.Certificate is null) != (listener.Key is null))
        {
            context.Error(node, path, "'certificate' and 'key' go together: give both or neither");
        }
        if (listener.ClientCertificates != ClientCertificates.None && listener.ClientCa is null && !(gunicornFlags && tlsKeyWithoutTls))
        {
            string clientCertificates = ReadContext.Join(path, "client_certificates");
            if (gunicornFlags)
            {
                context.Diagnostics.Error(node.Entry("client_certificates")?.KeyOrigin ?? node.Origin, clientCertificates,
                    "--cert-reqs asks for client certificates: give --ca-certs, the CA they must chain to");
            }
            else
            {
                context.Error(node, clientCertificates, "client certificates need 'client_ca', the CA they must chain to");
            }
        }
        if (node.Entry("mode") is { } mode && !listener.Address.IsUnixSocket)
        {
            context.Diagnostics.Error(mode.KeyOrigin, ReadContext.Join(path, "mode"), "'mode' applies to unix sockets only", $"'{listener.Address.Text}' is a TCP address");
        }
        if (listener.Protocols.Count == 0)
        {
            context.Error(node, ReadContext.Join(path, "protocols"), "a listener needs at least one protocol", "protocols = [\"h1\", \"h2\"]");
        }
        if (listener.HttpsRedirect && listener.Tls != ListenerTls.None)
        {
            context.Error(node, ReadContext.Join(path, "https_redirect"), "this listener already serves HTTPS; https_redirect belongs on a plain one", "put it on the port-80 listener");
        }
        if (listener.Address.Protocol != ListenerProtocol.Http && listener.Tls != ListenerTls.None)
        {
            context.Error(node, ReadContext.Join(path, "tls"), $"a {listener.Address.Protocol.ToString().ToLowerInvariant()} listener speaks to a web server in front, which terminates TLS", "remove tls from this listener");
        }
        return listener;
    }
}
