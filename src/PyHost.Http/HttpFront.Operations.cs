using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PyHost.Http.Listening;

namespace PyHost.Http;

// Operations: the listening sockets PyHost made itself, the kernel backlog, and draining for a binary upgrade.
public sealed partial class HttpFront
{
    /// <summary>The transport wrapper that can stop accepting and count connections (binary upgrade, SIGUSR2).</summary>
    public static AcceptControl AcceptControlOf(WebApplication app) => app.Services.GetRequiredService<AcceptControl>();

    private static void ConfigureOperations(WebApplicationBuilder builder, HttpFrontOptions options)
    {
        // gunicorn's --backlog: the kernel's queue of connections not yet accepted (listen(2)).
        builder.Services.Configure<SocketTransportOptions>(sockets => sockets.Backlog = options.Backlog);
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        builder.Services.AddSingleton<AcceptControl>();
        builder.Services.AddSingleton<IConnectionListenerFactory>(services => services.GetRequiredService<AcceptControl>());
        builder.Services.AddSingleton<IStartupFilter, CloseConnectionsWhileDraining>();
        // SIGTERM and SIGINT are PyHost's own (they must work during start-up too, before Kestrel runs): the host's
        // console lifetime must not take them as well.
        builder.Services.AddSingleton<IHostLifetime, SignalsHandledByPyHost>();
    }

    /// <summary>Serves the listeners PyHost made or inherited (by descriptor), or, with none given, the binds.</summary>
    private static void ListenAll(KestrelServerOptions kestrel, HttpFrontOptions options, Action<ListenOptions> protocols)
    {
        if (options.Listeners.Count == 0)
        {
            foreach (BindAddress bind in options.Binds)
            {
                Listen(kestrel, bind, protocols);
            }
            return;
        }
        foreach (FrontListener listener in options.Listeners)
        {
            kestrel.ListenHandle((ulong)listener.Descriptor, protocols);
        }
    }

    private sealed class CloseConnectionsWhileDraining(AcceptControl control) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextStep) =>
            {
                // HTTP/2 has no Connection header: Kestrel's stop sends it GOAWAY instead.
                if (control.Draining && !HttpProtocol.IsHttp2(context.Request.Protocol))
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
