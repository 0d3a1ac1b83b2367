using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Listening;

namespace PyHost.Hosting.Front;

/// <summary>A <c>[[listen]]</c> as the front's listening code takes it: the address to bind, how to speak on it.</summary>
public static class ListenerSettingsFactory
{
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
            Protocol = listener.Address.Protocol,
            ProxyProtocol = listener.ProxyProtocol != ProxyProtocol.Off,
            Backlog = listener.Backlog,
            Http1 = listener.Protocols.Contains(HttpProtocol.Http1),
            Http2 = listener.Protocols.Contains(HttpProtocol.Http2),
            HealthEndpoints = listener.ServesHealthEndpoints,
        };
    }
}
