using System.Security.Cryptography;
using System.Text;
using PyHost.Configuration.Model;
using PyHost.Http.Proxy.Health;
using PyHost.Http.Proxy.Http1;

namespace PyHost.Http.Proxy;

/// <summary>
/// One server of an upstream at run time: where it is, its weight, its own connection pool, the requests in flight
/// to it, and its health.
/// </summary>
public sealed class UpstreamServer : IDisposable
{
    private int _inFlight;

    public UpstreamServer(UpstreamServerConfig config, int maxConnections, HttpMessageInvoker invoker, ServerHealth health,
        UpstreamConnectionPool? http1Pool = null)
    {
        Address = config.Address;
        UrlPrefix = config.Address.UrlPrefix;
        Http1Pool = http1Pool;
        HostField = config.Address.HostField;   // read for every proxied request: made once
        Weight = config.Weight;
        MaxConnections = maxConnections;
        RequestSlots = maxConnections > 0 ? new SemaphoreSlim(maxConnections, maxConnections) : null;
        Invoker = invoker;
        Health = health;
        Id = StableId(config.Address);
    }

    public UpstreamAddress Address { get; }

    /// <summary>What requests are sent to: "http://10.0.0.1:8000"; "http://localhost:80" for a unix socket (the
    /// connector knows where the socket is). Made once: the address formats it anew on each call, and it is read for
    /// every proxied request.</summary>
    public string UrlPrefix { get; }

    public int Weight { get; }

    /// <summary>0 = no limit.</summary>
    public int MaxConnections { get; }

    /// <summary>
    /// With max_connections: one slot per request being sent to the server, by either client (the own HTTP/1.1 one
    /// or YARP's), so that at most that many connections are busy at once, as nginx's max_conns counts them
    /// (kept-alive idle ones aside). A request beyond waits for a slot. Null without a limit.
    /// </summary>
    public SemaphoreSlim? RequestSlots { get; }

    public HttpMessageInvoker Invoker { get; }

    /// <summary>The kept-alive connections of <see cref="Http1Forwarder"/>, which sends most requests; null where
    /// every request goes through YARP (h2 or TLS to the server).</summary>
    public UpstreamConnectionPool? Http1Pool { get; }

    /// <summary>The Host field for this server when the client's is not passed on (preserve_host = false).</summary>
    public string HostField { get; }

    public ServerHealth Health { get; }

    /// <summary>
    /// A short name of the address that is the same in every PyHost that has this server, for the sticky cookie: a
    /// client keeps its server across balancers and restarts, and the cookie tells nothing about the network.
    /// </summary>
    public string Id { get; }

    public int InFlight => Volatile.Read(ref _inFlight);

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Requests in flight per unit of weight: what least-requests and power-of-two-choices compare.</summary>
    public double Load => (double)InFlight / Weight;

    public override string ToString() => Address.Text;

    public void Dispose()
    {
        Invoker.Dispose();
        Http1Pool?.Dispose();
        RequestSlots?.Dispose();
    }

    private static string StableId(UpstreamAddress address)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(address.UnixSocketPath ?? address.UrlPrefix));
        return Convert.ToHexStringLower(hash, 0, 8);
    }
}
