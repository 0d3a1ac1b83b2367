using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PyHost.Http.Gateways.FastCgi;
using PyHost.Http.Gateways.Mongrel2;
using PyHost.Http.Gateways.Scgi;
using PyHost.Http.Gateways.Uwsgi;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways;

/// <summary>
/// The listeners for web servers in front: a <c>-b uwsgi://…</c>, <c>fastcgi://…</c> or <c>scgi://…</c> bind (or its
/// <c>+unix:</c> form) is a Kestrel endpoint whose connections go to that protocol's connection handler instead of
/// Kestrel's HTTP, on the same <see cref="Microsoft.AspNetCore.Builder.WebApplication"/>: the same process, limits,
/// shutdown and dispatch core as HTTP.
/// </summary>
public sealed class GatewayListeners(WorkerPool pool, DispatchPolicy policy, HttpLimits limits, AccessLog? accessLog)
{
    private readonly List<(ListenOptions Listen, ListenerProtocol Protocol)> _endpoints = [];
    private GatewayServices? _services;

    /// <summary>Makes <paramref name="listen"/> serve <paramref name="protocol"/>; called from Kestrel's configuration.</summary>
    public void Configure(ListenOptions listen, ListenerProtocol protocol)
    {
        GatewayServices services = Services(listen.ApplicationServices);
        ConnectionHandler handler = protocol switch
        {
            ListenerProtocol.Uwsgi => new UwsgiConnectionHandler(services),
            ListenerProtocol.Scgi => new ScgiConnectionHandler(services),
            ListenerProtocol.FastCgi => new FastCgiConnectionHandler(services),
            _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "not a gateway protocol"),
        };
        // Kestrel puts its HTTP handling after the connection middleware of an endpoint: a terminal one replaces it.
        listen.Protocols = HttpProtocols.Http1;
        listen.Run(handler.OnConnectedAsync);
        lock (_endpoints)
        {
            _endpoints.Add((listen, protocol));
        }
    }

    /// <summary>The Mongrel2 handler for <paramref name="endpoints"/>, a hosted service of the web application.</summary>
    public Mongrel2Handler Mongrel2(Mongrel2Endpoints endpoints, IServiceProvider applicationServices) =>
        new(endpoints, Services(applicationServices));

    private GatewayServices Services(IServiceProvider applicationServices)
    {
        lock (_endpoints)
        {
            return _services ??= new GatewayServices
            {
                Pool = pool,
                Policy = policy,
                Limits = limits,
                AccessLog = accessLog,
                Logger = applicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("pyhost.gateway"),
            };
        }
    }

    /// <summary>
    /// Kestrel reports every endpoint as http://; the gateway ones are given their own scheme here
    /// (<c>uwsgi://127.0.0.1:8001</c>, <c>fastcgi+unix:/run/site.sock</c>), port 0 resolved.
    /// </summary>
    public IEnumerable<string> Urls(IEnumerable<string> kestrelUrls)
    {
        var gateways = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_endpoints)
        {
            foreach (var (listen, protocol) in _endpoints)
            {
                string scheme = Scheme(protocol);
                (string http, string url) = listen.EndPoint switch
                {
                    IPEndPoint ip => ($"http://{ip}", $"{scheme}://{ip}"),
                    UnixDomainSocketEndPoint unix => ($"http://unix:{unix}", $"{scheme}+unix:{unix}"),
                    var other => ($"http://{other}", $"{scheme}://{other}"),
                };
                gateways[http] = url;
                if (listen.EndPoint is IPEndPoint { Port: var port } loopback && IPAddress.IsLoopback(loopback.Address))
                {
                    gateways[$"http://localhost:{port}"] = $"{scheme}://localhost:{port}";   // -b uwsgi://localhost:PORT
                }
            }
        }
        return kestrelUrls.Select(url => gateways.GetValueOrDefault(url, url));
    }

    public static string Scheme(ListenerProtocol protocol) => protocol switch
    {
        ListenerProtocol.Uwsgi => "uwsgi",
        ListenerProtocol.FastCgi => "fastcgi",
        ListenerProtocol.Scgi => "scgi",
        _ => "http",
    };
}
