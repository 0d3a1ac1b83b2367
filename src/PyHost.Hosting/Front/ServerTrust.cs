using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Forwarding;

namespace PyHost.Hosting.Front;

/// <summary>Whose proxy headers the front believes, and which: <c>[server] forwarded_allow_ips</c> and <c>forwarded_headers</c>.</summary>
public static class ServerTrust
{
    public static FrontTrust Of(ServerConfig server) =>
        new(TrustedProxies.Parse(string.Join(",", server.ForwardedAllowIps)), server.ForwardedHeaders);
}
