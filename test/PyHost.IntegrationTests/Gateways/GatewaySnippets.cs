using System.Text;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>Where a front server finds PyHost: a TCP address or a Unix socket.</summary>
public sealed record Upstream(string? Address, string? UnixSocket)
{
    public static Upstream Tcp(string address) => new(address, null);

    public static Upstream Unix(string path) => new(null, path);
}

/// <summary>
/// The configuration the interop tests give nginx, Apache httpd and lighttpd, one function per server and protocol.
/// The tests render it with their own ports; the README's "Keep your nginx, Apache or lighttpd" shows it rendered
/// with example addresses (<see cref="ReadmeExamples"/>), and a test checks that the README still says exactly that.
/// </summary>
public static class GatewaySnippets
{
    // ---- nginx: a location per mount point ----

    /// <summary>
    /// A location passing requests to PyHost. <paramref name="mountPoint"/> ("/app"): the app is mounted there and
    /// sees it as SCRIPT_NAME; null: at the root. <paramref name="buffering"/> false: each chunk the app yields goes
    /// to the client at once (the *_buffering directives).
    /// </summary>
    public static string NginxLocation(GatewayProtocol protocol, Upstream upstream, string? mountPoint = null, bool buffering = true, bool keepAlive = false)
    {
        string prefix = protocol switch { GatewayProtocol.Uwsgi => "uwsgi", GatewayProtocol.Scgi => "scgi", _ => "fastcgi" };
        string pass = upstream.UnixSocket is { } socket ? $"unix:{socket}" : upstream.Address!;
        var lines = new List<string>();
        if (protocol == GatewayProtocol.FastCgi && mountPoint is not null)
        {
            // fastcgi_params sends SCRIPT_NAME $fastcgi_script_name: the split makes it the mount point.
            lines.Add($"fastcgi_split_path_info ^({mountPoint})(/.*)$;");
        }
        lines.Add($"include /etc/nginx/{prefix}_params;");
        if (protocol != GatewayProtocol.FastCgi && mountPoint is not null)
        {
            lines.Add($"{prefix}_param SCRIPT_NAME {mountPoint};");
        }
        if (!buffering)
        {
            lines.Add($"{prefix}_buffering off;");
        }
        if (keepAlive)
        {
            lines.Add("fastcgi_keep_conn on;");
        }
        lines.Add($"{prefix}_pass {pass};");
        return Block($"location {mountPoint ?? ""}/", lines);
    }

    /// <summary>An upstream whose connections nginx keeps open between requests (FastCGI only: nginx keeps no uwsgi
    /// or SCGI connections); the location then needs <c>keepAlive</c> and passes to <paramref name="name"/>.</summary>
    public static string NginxKeepAliveUpstream(string name, string address) =>
        Block($"upstream {name}", [$"server {address};", "keepalive 8;"]);

    // ---- Apache httpd: ProxyPass lines (mod_proxy_uwsgi, mod_proxy_scgi, mod_proxy_fcgi) ----

    /// <summary>
    /// The lines that mount PyHost at <paramref name="mountPoint"/> ("/" for the root). mod_proxy_fcgi and
    /// mod_proxy_scgi put the whole path in SCRIPT_NAME; their pathinfo variable makes them send the part below the
    /// mount point as PATH_INFO, from which PyHost knows the mount point. mod_proxy_fcgi is told to pass each chunk
    /// on at once (flushpackets=on), as mod_proxy_uwsgi and mod_proxy_scgi do by themselves; it is set on every line,
    /// because ProxyPass lines to the same address share the parameters of the first.
    /// </summary>
    public static string ApacheProxyPass(GatewayProtocol protocol, Upstream upstream, string mountPoint = "/")
    {
        string scheme = protocol switch { GatewayProtocol.Uwsgi => "uwsgi", GatewayProtocol.Scgi => "scgi", _ => "fcgi" };
        string target = upstream.UnixSocket is { } socket ? $"unix:{socket}|{scheme}://localhost/" : $"{scheme}://{upstream.Address}/";
        string location = mountPoint == "/" ? "/" : mountPoint + "/";
        var lines = new StringBuilder();
        if (mountPoint != "/" && protocol != GatewayProtocol.Uwsgi)
        {
            string variable = protocol == GatewayProtocol.Scgi ? "proxy-scgi-pathinfo" : "proxy-fcgi-pathinfo=unescape";
            lines.Append($"SetEnvIf Request_URI \"^{location}\" {variable}\n");
        }
        lines.Append($"ProxyPass \"{location}\" \"{target}\"");
        if (protocol == GatewayProtocol.FastCgi)
        {
            lines.Append(" flushpackets=on");
        }
        return lines.Append('\n').ToString();
    }

    // ---- lighttpd: fastcgi.server and scgi.server (it has no uwsgi module) ----

    /// <summary>
    /// <c>fastcgi.server</c> or <c>scgi.server</c> with one entry per mount point ("/" for the root, which needs
    /// "fix-root-scriptname": otherwise lighttpd takes the first path segment for SCRIPT_NAME).
    /// </summary>
    public static string LighttpdServer(GatewayProtocol protocol, IEnumerable<(string MountPoint, Upstream Upstream)> mounts)
    {
        if (protocol == GatewayProtocol.Uwsgi)
        {
            throw new ArgumentException("lighttpd has no uwsgi module", nameof(protocol));
        }
        var text = new StringBuilder(protocol == GatewayProtocol.FastCgi ? "fastcgi.server = (\n" : "scgi.server = (\n");
        foreach (var (mountPoint, upstream) in mounts)
        {
            string where = upstream.UnixSocket is { } socket
                ? $"\"socket\" => \"{socket}\""
                : $"\"host\" => \"{upstream.Address![..upstream.Address!.LastIndexOf(':')]}\", \"port\" => {upstream.Address![(upstream.Address!.LastIndexOf(':') + 1)..]}";
            string root = mountPoint == "/" ? ", \"fix-root-scriptname\" => \"enable\"" : "";
            text.Append($"    \"{mountPoint}\" => (({where}, \"check-local\" => \"disable\"{root})),\n");
        }
        return text.Append(")\n").ToString();
    }

    /// <summary>
    /// What the README shows: the same functions, with the addresses of its example
    /// (<c>pyhost serve -b uwsgi://127.0.0.1:8001 -b fastcgi://127.0.0.1:8002 -b scgi://127.0.0.1:8003</c>).
    /// </summary>
    public static IReadOnlyList<(string Title, string Language, string Text)> ReadmeExamples()
    {
        Upstream uwsgi = Upstream.Tcp("127.0.0.1:8001");
        Upstream fastcgi = Upstream.Tcp("127.0.0.1:8002");
        Upstream scgi = Upstream.Tcp("127.0.0.1:8003");
        Upstream unix = Upstream.Unix("/run/pyhost/site.sock");
        return
        [
            ("nginx, uwsgi (the app at the root, another under /app, one on a Unix socket with streaming)", "nginx",
                NginxLocation(GatewayProtocol.Uwsgi, uwsgi) + NginxLocation(GatewayProtocol.Uwsgi, uwsgi, "/app")
                + NginxLocation(GatewayProtocol.Uwsgi, unix, "/live", buffering: false)),
            ("nginx, FastCGI with connections kept open", "nginx",
                NginxKeepAliveUpstream("pyhost", fastcgi.Address!) + "server {\n    ...\n"
                + Indent(NginxLocation(GatewayProtocol.FastCgi, Upstream.Tcp("pyhost"), keepAlive: true)
                         + NginxLocation(GatewayProtocol.FastCgi, Upstream.Tcp("pyhost"), "/app", keepAlive: true)) + "}\n"),
            ("nginx, SCGI", "nginx", NginxLocation(GatewayProtocol.Scgi, scgi) + NginxLocation(GatewayProtocol.Scgi, scgi, "/app")),
            ("Apache httpd (a2enmod proxy_uwsgi, proxy_fcgi or proxy_scgi; and setenvif)", "apache",
                ApacheProxyPass(GatewayProtocol.Uwsgi, uwsgi, "/app") + ApacheProxyPass(GatewayProtocol.FastCgi, fastcgi, "/api")
                + ApacheProxyPass(GatewayProtocol.Scgi, scgi, "/legacy") + ApacheProxyPass(GatewayProtocol.Uwsgi, unix)),
            ("lighttpd (server.modules += (\"mod_fastcgi\") or (\"mod_scgi\"))", "lighttpd",
                "server.stream-response-body = 2\n"
                + LighttpdServer(GatewayProtocol.FastCgi, [("/app", fastcgi), ("/", fastcgi)])
                + LighttpdServer(GatewayProtocol.Scgi, [("/legacy", scgi), ("/unix", unix)])),
        ];
    }

    private static string Block(string head, IEnumerable<string> lines)
    {
        var text = new StringBuilder(head).Append(" {\n");
        foreach (string line in lines)
        {
            text.Append("    ").Append(line).Append('\n');
        }
        return text.Append("}\n").ToString();
    }

    private static string Indent(string text) =>
        string.Concat(text.Split('\n').Select(line => line.Length == 0 ? "" : "    " + line + "\n"));
}
