using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PyHost.Configuration;
using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Access;
using PyHost.Http.Forwarding;
using PyHost.Http.Health;
using PyHost.Http.Proxy;
using PyHost.Http.Routing;

// proxyfront CONFIG.toml: serves the config's proxy routes on its first listener.
ConfigLoadResult loaded = ConfigLoader.Load(new ConfigRequest { Arguments = ["-c", args[0]], Environment = ConfigEnvironment.Current() });
if (loaded.Config is not { } config)
{
    Console.Error.WriteLine(string.Join("\n", loaded.Diagnostics));
    return 2;
}
using ILoggerFactory loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
await using UpstreamSet upstreams = UpstreamSet.Create(config, loggers);
using var guards = new RouteGuardFactory(loggers);
RouteTable table = RouteTable.Build(config.Sites, route => route.Target is ProxyTarget
    ? upstreams.EndpointFor(route)
    : new RespondEndpoint(route.Target as RespondTarget ?? new RespondTarget { Status = 404 }), guards.For);
upstreams.Start();
var trusted = TrustedProxies.Parse(string.Join(",", config.Server.ForwardedAllowIps));
var health = new HealthEndpoints(() => [], new DrainState(config.Server.DrainDelay));
ListenAddress listen = config.Listeners[0].Address;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
// As HttpFront: continuations inline on the socket thread, no Server header.
builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(listen.Address ?? IPAddress.Loopback, listen.Port);
});
WebApplication app = builder.Build();
app.Run(async context =>
{
    RequestOriginFeature.Attach(context, trusted, ForwardedHeaderStyle.XForwarded);
    if (HealthEndpoints.Matches(context.Request))
    {
        await health.AnswerAsync(context);
        return;
    }
    if (table.Match(context.Request.Host.Host, context.Request.Path.Value ?? "/", context.Request.Method) is not { } match)
    {
        await ErrorPages.WriteAsync(context, 404, "No route.");
        return;
    }
    if (!await match.Guards.AdmitAsync(context))
    {
        return;
    }
    if (match.Endpoint is ProxyEndpoint proxy)
    {
        await proxy.Proxy.ServeAsync(context, []);
    }
});
await app.RunAsync();
return 0;
