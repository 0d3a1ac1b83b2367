using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ListenerProtocol = PyHost.Configuration.Model.ListenerProtocol;
using PyHost.Tls;
using PyHost.Http.Gateways;
using PyHost.Http.ZeroCopy;

namespace PyHost.Http.Listening;

/// <summary>
/// One listener served by a Kestrel of its own (speaking HTTP, or uwsgi, FastCGI or SCGI to a web server in front), on a socket PyHost bound or inherited: its own limits, PROXY protocol
/// and backlog, all of them handing their requests to the one <see cref="HttpFront"/>. One Kestrel per listener is
/// what lets a configuration reload add and remove listeners while the others keep their connections.
/// </summary>
public sealed class HttpListenerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HttpListenerHost(FrontListener listener, WebApplication app, AcceptControl accepting)
    {
        Listener = listener;
        _app = app;
        Accepting = accepting;
    }

    public FrontListener Listener { get; }

    /// <summary>The transport wrapper that can stop accepting and count connections (binary upgrade, SIGUSR2).</summary>
    public AcceptControl Accepting { get; }

    public static HttpListenerHost Create(FrontListener listener, FrontListenerSettings settings, HttpFront front,
        ILoggerProvider logging, LogLevel minimumLevel, TimeSpan gracefulTimeout, ListenerTlsBinding? tls = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(minimumLevel);
        // Kestrel's own per-connection chatter (bad requests, resets) is for debugging, not for the error log.
        builder.Logging.AddFilter("Microsoft", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        // ASP.NET Core's hosting makes an Activity and a log scope for every request whenever this category is enabled
        // at all (HostingApplicationDiagnostics.BeginRequest), for request-start/finish lines PyHost never writes (its
        // access log does): off, it costs nothing per request. PyHost's own span (HttpTelemetry) does not depend on it.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = gracefulTimeout);
        // The socket transport's options (backlog, NoDelay, pipe limits), read by AcceptControl. Its connections
        // (ClientSocketConnection) always run their continuations on the thread that saw the socket ready, never queued
        // to the thread pool, so Kestrel's UnsafePreferInlineScheduling has nothing left to choose.
        builder.WebHost.UseSockets();
        // gunicorn's --backlog: the kernel's queue of connections not yet accepted (listen(2)).
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.Backlog = settings.Backlog);
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        // Kestrel accepts on the listener's own Socket (AcceptControl): ListenHandle below only names the endpoint.
        builder.Services.AddSingleton(services => ActivatorUtilities.CreateInstance<AcceptControl>(services, listener.Socket));
        builder.Services.AddSingleton<IConnectionListenerFactory>(services => services.GetRequiredService<AcceptControl>());
        builder.Services.AddSingleton<IStartupFilter, CloseConnectionsWhileDraining>();
        // SIGTERM and SIGINT are PyHost's own (they must work during start-up too, before Kestrel runs): the host's
        // console lifetime must not take them as well.
        builder.Services.AddSingleton<IHostLifetime, SignalsHandledByPyHost>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The front enforces each route's body limit itself (413 with a page), while it buffers the body.
            kestrel.Limits.MaxRequestBodySize = null;
            // PEP 3333 native strings are latin-1: every header byte reaches the app as one code point.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
            kestrel.ResponseHeaderEncodingSelector = _ => Encoding.Latin1;
            HttpFront.ApplyLimits(kestrel, settings.Limits);
            List<Func<ConnectionDelegate, ConnectionDelegate>> connectionMiddleware =
                HttpFront.ConnectionMiddleware(settings, front.Trust, kestrel.ApplicationServices);
            if (settings.Protocol == ListenerProtocol.Http)
            {
                kestrel.ListenHandle((ulong)listener.Descriptor, listen => Protocols(listen, settings, front, connectionMiddleware, tls));
            }
            else
            {
                // A listener for a web server in front (uwsgi, FastCGI, SCGI): its protocol's connection handler instead
                // of HTTP, the same routes, limits, graceful stop and accept control.
                var gateways = new GatewayListeners(front, settings.Limits, front.AccessLog);
                kestrel.ListenHandle((ulong)listener.Descriptor, listen => gateways.Configure(listen, settings.Protocol));
            }
        });

        WebApplication app = builder.Build();
        tls?.Front.UseRequestMiddleware(app);
        HttpFront.UseWebSockets(app);
        app.Run(context => front.HandleAsync(context, settings));
        return new HttpListenerHost(listener, app, app.Services.GetRequiredService<AcceptControl>());
    }

    private static void Protocols(ListenOptions listen, FrontListenerSettings settings, HttpFront front, List<Func<ConnectionDelegate, ConnectionDelegate>> connectionMiddleware,
        ListenerTlsBinding? tls)
    {
        // PROXY protocol and the like see the raw bytes first; TLS starts after them.
        connectionMiddleware.ForEach(middleware => listen.Use(middleware));
        if (tls?.Front.ConfigureEndpoint(listen, tls.Listener) == true)
        {
            return;   // TLS: ALPN chooses h2 or http/1.1; h2c detection is for cleartext only
        }
        if (settings.Http1 && settings.Http2)
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            if (CleartextHttp2Detection.IsAvailable)
            {
                CleartextHttp2Detection.Use(listen);
            }
        }
        else
        {
            listen.Protocols = settings.Http2 ? HttpProtocols.Http2 : HttpProtocols.Http1;
        }
        if (settings.Http1)
        {
            // Last before HTTP: files (static routes', ASGI pathsend) can go out with sendfile(2) on a cleartext HTTP/1.1
            // connection.
            listen.Use(ZeroCopyMiddleware.For(() => front.NewConnectionsSendFiles));
        }
    }

    /// <summary>Starts listening (listen(2)) and accepting.</summary>
    public Task StartAsync() => _app.StartAsync();

    /// <summary>Stops accepting, lets in-flight requests finish (up to the graceful timeout), then closes the rest.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The TLS of one listener: the configuration's <see cref="TlsFront"/> and the listener as configured (a socket
    /// served by its descriptor has no address to find it by).</summary>
    public sealed record ListenerTlsBinding(TlsFront Front, PyHost.Configuration.Model.ListenerConfig Listener);

    private sealed class CloseConnectionsWhileDraining(AcceptControl control) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextStep) =>
            {
                // HTTP/2 has no Connection header: Kestrel's stop sends it GOAWAY instead. An upgrade (a WebSocket
                // handshake) keeps its connection: its 101 must say "Connection: Upgrade" (RFC 6455 §4.2.2).
                if (control.Draining && !HttpProtocol.IsHttp2(context.Request.Protocol)
                    && context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest != true)
                {
                    context.Response.OnStarting(() =>
                    {
                        context.Response.Headers.Connection = "close";
                        return Task.CompletedTask;
                    });
                }
                return nextStep(context);
            });
            next(app);
        };
    }

    private sealed class SignalsHandledByPyHost : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
