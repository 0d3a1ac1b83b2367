using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Http.Gateways.FastCgi;
using PyHost.Http.Gateways.Mongrel2;
using PyHost.Http.Gateways.Scgi;
using PyHost.Http.Gateways.Uwsgi;

namespace PyHost.Http.Gateways;

/// <summary>
/// The connection handlers of a listener for web servers in front (a <c>[[listen]]</c> address, or <c>-b</c>,
/// <c>uwsgi://…</c>, <c>fastcgi://…</c>, <c>scgi://…</c> or a <c>+unix:</c> form): its Kestrel endpoint hands each
/// connection to the protocol's handler instead of Kestrel's HTTP, and every request goes through the front's route
/// table to the one dispatch core, under the listener's limits. Also the Mongrel2 handler's services.
/// </summary>
public sealed class GatewayListeners(HttpFront front, HttpLimits limits, AccessLog? accessLog)
{
    private readonly Lock _lock = new();
    private GatewayServices? _services;

    /// <summary>Makes <paramref name="listen"/> serve <paramref name="protocol"/>; called from Kestrel's configuration.</summary>
    public void Configure(ListenOptions listen, ListenerProtocol protocol)
    {
        GatewayServices services = Services(listen.ApplicationServices.GetRequiredService<ILoggerFactory>());
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
    }

    /// <summary>The Mongrel2 handler for <paramref name="endpoints"/>.</summary>
    public Mongrel2Handler Mongrel2(Mongrel2Endpoints endpoints, ILoggerFactory loggers) =>
        new(endpoints, Services(loggers));

    private GatewayServices Services(ILoggerFactory loggers)
    {
        lock (_lock)
        {
            return _services ??= new GatewayServices
            {
                Front = front,
                Limits = limits,
                AccessLog = accessLog,
                Logger = loggers.CreateLogger("pyhost.gateway"),
            };
        }
    }
}
