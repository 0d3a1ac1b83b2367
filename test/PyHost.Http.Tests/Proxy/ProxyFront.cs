using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Forwarding;
using PyHost.Http.Proxy;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy;

/// <summary>
/// A front as the dispatcher will run a proxy route: a real Kestrel on 127.0.0.1 that decides each request's origin
/// and hands it to the route's <see cref="ProxyEndpoint"/>. Requests reach it over real sockets.
/// </summary>
public sealed class ProxyFront : IAsyncDisposable
{
    private readonly TestKestrel _front;

    private ProxyFront(TestKestrel front, UpstreamSet upstreams, ProxyEndpoint endpoint, ListLoggerFactory logs)
    {
        _front = front;
        Upstreams = upstreams;
        Endpoint = endpoint;
        Logs = logs;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(front.Url) };
    }

    public UpstreamSet Upstreams { get; }

    public ProxyEndpoint Endpoint { get; }

    public Upstream Upstream => Endpoint.Proxy.Upstream;

    public ListLoggerFactory Logs { get; }

    public HttpClient Client { get; }

    public string Url => _front.Url;

    /// <summary>Bytes the proxy said it sent for the last request (the access log's count).</summary>
    public long LastBodyBytes { get; private set; }

    public static async Task<ProxyFront> StartAsync(UpstreamConfig upstream, RouteConfig? route = null, TrustedProxies? trusted = null,
        IReadOnlyList<ErrorPageFile>? errorPages = null, TimeProvider? time = null, long? maxRequestBodySize = null)
    {
        route ??= new RouteConfig();
        route = route with { Target = new ProxyTarget { Upstream = upstream.Name } };
        var config = new PyHostConfig { Upstreams = [upstream], Sites = [new SiteConfig { Routes = [route] }] };
        var logs = new ListLoggerFactory();
        UpstreamSet set = UpstreamSet.Create(config, logs, time);
        ProxyEndpoint endpoint = set.EndpointFor(route, maxRequestBodySize);
        ProxyFront? front = null;
        TestKestrel kestrel = await TestKestrel.StartAsync(async context =>
        {
            RequestOriginFeature.Attach(context, trusted ?? TrustedProxies.None, PyHost.Configuration.Model.ForwardedHeaderStyle.XForwarded);
            front!.LastBodyBytes = await endpoint.Proxy.ServeAsync(context, errorPages ?? []);
        });
        front = new ProxyFront(kestrel, set, endpoint, logs);
        return front;
    }

    public static UpstreamConfig UpstreamOf(params string[] servers) => new()
    {
        Name = "backend",
        Servers = servers.Select(server => new UpstreamServerConfig
        {
            Address = UpstreamAddress.TryParse(server, "/", out UpstreamAddress? address, out string? error) ? address : throw new ArgumentException(error),
        }).ToArray(),
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _front.DisposeAsync();
        await Upstreams.DisposeAsync();
    }
}
