using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Listening;

namespace PyHost.Hosting.Front;

/// <summary>A <c>[[listen]]</c> as the front's listening code takes it: the address to bind, how to speak on it.</summary>
public static class ListenerSettingsFactory
{
    public static BindAddress BindOf(ListenerConfig listener) =>
        BindAddress.TryParse(BindText(listener), out BindAddress? bind, out string? error)
            ? bind
            : throw new InvalidOperationException($"listener {listener.Address}: {error}");

    /// <summary>The canonical address (it names the socket) with the scheme of the protocol spoken on it.</summary>
    private static string BindText(ListenerConfig listener)
    {
        string canonical = listener.Address.Canonical;
        PyHost.Http.ListenerProtocol protocol = ProtocolOf(listener);
        if (protocol == PyHost.Http.ListenerProtocol.Http)
        {
            return canonical;
        }
        string scheme = PyHost.Http.Gateways.GatewayListeners.Scheme(protocol);
        return listener.Address.IsUnixSocket ? $"{scheme}+{canonical}" : $"{scheme}://{canonical}";
    }

    public static FrontListenerSettings SettingsOf(ListenerConfig listener)
    {
        LimitsConfig limits = listener.Limits.Over(LimitsConfig.Defaults);
        return new FrontListenerSettings
        {
            Limits = new HttpLimits
            {
                MaxRequestLineBytes = (int)Math.Min(int.MaxValue, limits.MaxRequestLine!.Value.Bytes),
                MaxHeaderFields = limits.MaxHeaderCount!.Value,
                MaxHeaderFieldBytes = (int)Math.Min(int.MaxValue, limits.MaxHeaderSize!.Value.Bytes),
                HeaderTimeout = limits.HeaderTimeout!.Value,
                KeepAliveTimeout = limits.KeepaliveTimeout!.Value,
                MinRequestBodyBytesPerSecond = (int)Math.Min(int.MaxValue, limits.MinRequestBodyRate!.Value.Bytes),
                MaxConnections = limits.MaxConnections!.Value,
                MaxConnectionsPerClient = limits.MaxConnectionsPerClient!.Value,
            },
            Protocol = ProtocolOf(listener),
            ProxyProtocol = listener.ProxyProtocol != ProxyProtocol.Off,
            Backlog = listener.Backlog,
            Http1 = listener.Protocols.Contains(HttpProtocol.Http1),
            Http2 = listener.Protocols.Contains(HttpProtocol.Http2),
            HealthEndpoints = listener.ServesHealthEndpoints,
        };
    }

    /// <summary>What the listener speaks, as the front names it.</summary>
    public static PyHost.Http.ListenerProtocol ProtocolOf(ListenerConfig listener) => listener.Address.Protocol switch
    {
        Configuration.Model.ListenerProtocol.Uwsgi => PyHost.Http.ListenerProtocol.Uwsgi,
        Configuration.Model.ListenerProtocol.FastCgi => PyHost.Http.ListenerProtocol.FastCgi,
        Configuration.Model.ListenerProtocol.Scgi => PyHost.Http.ListenerProtocol.Scgi,
        _ => PyHost.Http.ListenerProtocol.Http,
    };
}
