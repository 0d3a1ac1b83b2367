using System.Text;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>Debian's nginx: uwsgi_pass, scgi_pass, fastcgi_pass (with fastcgi_params), and a keep-alive upstream.</summary>
public sealed class NginxGateways : GatewayFixture, IServesGatewayProtocols
{
    public const string KeepAliveUpstream = "pyhost_keepalive";

    public override string Name => "nginx";

    public static IReadOnlyList<GatewayProtocol> Served { get; } = [GatewayProtocol.Uwsgi, GatewayProtocol.Scgi, GatewayProtocol.FastCgi];

    public override IReadOnlyList<GatewayProtocol> Protocols => Served;

    protected override bool KeepAliveListener => true;

    protected override Task<FrontServer> StartFrontAsync()
    {
        var servers = new StringBuilder();
        foreach (GatewayProtocol protocol in Protocols)
        {
            GatewayUpstream upstream = PyHost.Upstreams[protocol];
            Upstream tcp = Upstream.Tcp(upstream.Address);
            string locations = GatewaySnippets.NginxLocation(protocol, tcp)
                + GatewaySnippets.NginxLocation(protocol, tcp, "/app")
                + GatewaySnippets.NginxLocation(protocol, tcp, "/live", buffering: false)
                + GatewaySnippets.NginxLocation(protocol, Upstream.Unix(upstream.UnixSocket), "/unix");
            if (protocol == GatewayProtocol.FastCgi)
            {
                locations += GatewaySnippets.NginxLocation(protocol, Upstream.Tcp(KeepAliveUpstream), "/keepalive", keepAlive: true);
            }
            servers.Append($"server {{\n    listen 127.0.0.1:{FrontPorts[protocol]};\n{locations}}}\n");
        }
        servers.Append($"server {{\n    listen 127.0.0.1:{TlsPort} ssl;\n    ssl_certificate {TestCertificate.CertificatePath};\n    ssl_certificate_key {TestCertificate.KeyPath};\n");
        foreach (GatewayProtocol protocol in Protocols)
        {
            servers.Append(GatewaySnippets.NginxLocation(protocol, Upstream.Tcp(PyHost.Upstreams[protocol].Address), "/" + protocol.Scheme()));
        }
        servers.Append("}\n");
        string config = WriteConfig("nginx.conf", $$"""
            user root;
            worker_processes 1;
            daemon off;
            pid {{Directory}}/nginx.pid;
            error_log {{Directory}}/nginx-error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_max_body_size 400m;
                client_body_temp_path {{Directory}}/client_body;
                fastcgi_temp_path {{Directory}}/fastcgi;
                uwsgi_temp_path {{Directory}}/uwsgi;
                scgi_temp_path {{Directory}}/scgi;
                proxy_temp_path {{Directory}}/proxy;
            {{GatewaySnippets.NginxKeepAliveUpstream(KeepAliveUpstream, $"127.0.0.1:{PyHost.KeepAlivePort}")}}
            {{servers}}
            }
            """);
        string errorLog = Path.Combine(Directory, "nginx-error.log");
        return FrontServer.StartAsync("nginx", "/usr/sbin/nginx", ["-p", Directory, "-e", errorLog, "-c", config], Directory, errorLog, AllFrontPorts);
    }
}

/// <summary>Debian's Apache httpd: mod_proxy_uwsgi, mod_proxy_scgi, mod_proxy_fcgi, run as www-data.</summary>
public sealed class ApacheGateways : GatewayFixture, IServesGatewayProtocols
{
    private const string Modules = "/usr/lib/apache2/modules";

    public override string Name => "Apache httpd";

    public static IReadOnlyList<GatewayProtocol> Served { get; } = [GatewayProtocol.Uwsgi, GatewayProtocol.Scgi, GatewayProtocol.FastCgi];

    public override IReadOnlyList<GatewayProtocol> Protocols => Served;

    protected override async Task<FrontServer> StartFrontAsync()
    {
        // Apache's workers run as www-data: the sockets must let them connect (what --umask and -g give a site).
        foreach (GatewayUpstream upstream in PyHost.Upstreams.Values)
        {
            File.SetUnixFileMode(upstream.UnixSocket, (UnixFileMode)0b110_110_110);
        }
        var hosts = new StringBuilder();
        foreach (GatewayProtocol protocol in Protocols)
        {
            Upstream tcp = Upstream.Tcp(PyHost.Upstreams[protocol].Address);
            hosts.Append($"Listen 127.0.0.1:{FrontPorts[protocol]}\n<VirtualHost 127.0.0.1:{FrontPorts[protocol]}>\n")
                .Append(GatewaySnippets.ApacheProxyPass(protocol, tcp, "/app"))
                .Append(GatewaySnippets.ApacheProxyPass(protocol, tcp, "/live"))
                .Append(GatewaySnippets.ApacheProxyPass(protocol, Upstream.Unix(PyHost.Upstreams[protocol].UnixSocket), "/unix"))
                .Append(GatewaySnippets.ApacheProxyPass(protocol, tcp))
                .Append("</VirtualHost>\n");
        }
        hosts.Append($"Listen 127.0.0.1:{TlsPort}\n<VirtualHost 127.0.0.1:{TlsPort}>\nSSLEngine on\n")
            .Append($"SSLCertificateFile {TestCertificate.CertificatePath}\nSSLCertificateKeyFile {TestCertificate.KeyPath}\n");
        foreach (GatewayProtocol protocol in Protocols)
        {
            hosts.Append(GatewaySnippets.ApacheProxyPass(protocol, Upstream.Tcp(PyHost.Upstreams[protocol].Address), "/" + protocol.Scheme()));
        }
        hosts.Append("</VirtualHost>\n");
        string errorLog = Path.Combine(Directory, "apache-error.log");
        string config = WriteConfig("httpd.conf", $"""
            ServerRoot {Directory}
            ServerName gateway.test
            PidFile {Directory}/httpd.pid
            DefaultRuntimeDir {Directory}
            ErrorLog {errorLog}
            LogLevel warn
            LoadModule mpm_event_module {Modules}/mod_mpm_event.so
            LoadModule authz_core_module {Modules}/mod_authz_core.so
            LoadModule setenvif_module {Modules}/mod_setenvif.so
            LoadModule proxy_module {Modules}/mod_proxy.so
            LoadModule proxy_uwsgi_module {Modules}/mod_proxy_uwsgi.so
            LoadModule proxy_scgi_module {Modules}/mod_proxy_scgi.so
            LoadModule proxy_fcgi_module {Modules}/mod_proxy_fcgi.so
            LoadModule ssl_module {Modules}/mod_ssl.so
            User www-data
            Group www-data
            LimitRequestBody 0
            {hosts}
            """);
        return await FrontServer.StartAsync("apache2", "/usr/sbin/apache2", ["-f", config, "-DFOREGROUND"], Directory, errorLog, AllFrontPorts);
    }
}

/// <summary>Debian's lighttpd: mod_fastcgi and mod_scgi (lighttpd has no uwsgi module), TLS by mod_openssl.</summary>
public sealed class LighttpdGateways : GatewayFixture, IServesGatewayProtocols
{
    public override string Name => "lighttpd";

    public static IReadOnlyList<GatewayProtocol> Served { get; } = [GatewayProtocol.Scgi, GatewayProtocol.FastCgi];

    public override IReadOnlyList<GatewayProtocol> Protocols => Served;

    protected override Task<FrontServer> StartFrontAsync()
    {
        string root = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "root")).FullName;
        string errorLog = Path.Combine(Directory, "lighttpd-error.log");
        string Mounts(GatewayProtocol protocol)
        {
            Upstream tcp = Upstream.Tcp(PyHost.Upstreams[protocol].Address);
            return GatewaySnippets.LighttpdServer(protocol,
                [("/app", tcp), ("/live", tcp), ("/unix", Upstream.Unix(PyHost.Upstreams[protocol].UnixSocket)), ("/", tcp)]);
        }
        string config = WriteConfig("lighttpd.conf", $$"""
            server.document-root = "{{root}}"
            server.bind = "127.0.0.1"
            server.port = {{FrontPorts[GatewayProtocol.FastCgi]}}
            server.errorlog = "{{errorLog}}"
            server.modules = ("mod_fastcgi", "mod_scgi", "mod_openssl")
            server.stream-response-body = 2
            {{Mounts(GatewayProtocol.FastCgi)}}
            $SERVER["socket"] == "127.0.0.1:{{FrontPorts[GatewayProtocol.Scgi]}}" {
            fastcgi.server = ()
            {{Mounts(GatewayProtocol.Scgi)}}
            }
            $SERVER["socket"] == "127.0.0.1:{{TlsPort}}" {
            ssl.engine = "enable"
            ssl.pemfile = "{{TestCertificate.CertificatePath}}"
            ssl.privkey = "{{TestCertificate.KeyPath}}"
            {{GatewaySnippets.LighttpdServer(GatewayProtocol.FastCgi, [("/fastcgi", Upstream.Tcp(PyHost.Upstreams[GatewayProtocol.FastCgi].Address))])}}
            {{GatewaySnippets.LighttpdServer(GatewayProtocol.Scgi, [("/scgi", Upstream.Tcp(PyHost.Upstreams[GatewayProtocol.Scgi].Address))])}}
            }
            """);
        return FrontServer.StartAsync("lighttpd", "/usr/sbin/lighttpd", ["-D", "-f", config], Directory, errorLog, AllFrontPorts);
    }
}
