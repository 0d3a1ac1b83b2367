using Microsoft.AspNetCore.Connections;
using PyHost.Gateways.FastCgi;

namespace PyHost.Http.Gateways.FastCgi;

/// <summary>
/// Where a request enters from nginx's <c>fastcgi_pass</c>, Apache's <c>mod_proxy_fcgi</c> or lighttpd's
/// <c>mod_fastcgi</c>: FastCGI records on a connection the web server may keep for further requests
/// (<c>FCGI_KEEP_CONN</c>; nginx's <c>fastcgi_keep_conn on</c> with an upstream <c>keepalive</c>). One request at a
/// time per connection, as nginx and Apache send them; a second one gets <c>FCGI_CANT_MPX_CONN</c> (§5.5).
/// </summary>
internal sealed class FastCgiConnectionHandler(GatewayServices services) : ConnectionHandler
{
    private readonly FastCgiConnectionOptions _options = new()
    {
        Limits = services.VariableLimits,
    };

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        await using var session = new FastCgiSession(connection, services, new FastCgiConnection(_options));
        await session.RunAsync();
    }
}
