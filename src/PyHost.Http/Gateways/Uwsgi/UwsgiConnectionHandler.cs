using System.Buffers;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.Uwsgi;

namespace PyHost.Http.Gateways.Uwsgi;

/// <summary>
/// Where a request enters from nginx's <c>uwsgi_pass</c> or Apache's <c>mod_proxy_uwsgi</c>: one uwsgi packet
/// (modifier1 0, the vars), the body, and a response that starts with an HTTP status line, which mod_proxy_uwsgi
/// requires (uWSGI sends the same).
/// </summary>
internal sealed class UwsgiConnectionHandler(GatewayServices services) : ContentLengthConnectionHandler(services)
{
    protected override string Protocol => "uwsgi";

    protected override StatusLineStyle StatusLineStyle => StatusLineStyle.HttpStatusLine;

    protected override OperationStatus TryReadHead(ref SequenceReader<byte> reader, out CgiVariables? variables, out string? error)
    {
        OperationStatus status = UwsgiRequestReader.TryRead(ref reader, Services.VariableLimits, out UwsgiRequest? request, out error);
        variables = request?.Variables;
        return status;
    }
}
