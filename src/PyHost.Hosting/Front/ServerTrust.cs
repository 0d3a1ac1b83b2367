using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Forwarding;
using HeaderStyle = PyHost.Http.Forwarding.ForwardedHeaderStyle;

namespace PyHost.Hosting.Front;

/// <summary>Whose proxy headers the front believes, and which: <c>[server] forwarded_allow_ips</c> and <c>forwarded_headers</c>.</summary>
public static class ServerTrust
{
    public static FrontTrust Of(ServerConfig server) =>
        new(TrustedProxies.Parse(string.Join(",", server.ForwardedAllowIps)), StyleOf(server.ForwardedHeaders));

    private static HeaderStyle StyleOf(Configuration.Model.ForwardedHeaderStyle style) => style switch
    {
        Configuration.Model.ForwardedHeaderStyle.Forwarded => HeaderStyle.Forwarded,
        Configuration.Model.ForwardedHeaderStyle.None => HeaderStyle.None,
        _ => HeaderStyle.XForwarded,
    };
}
