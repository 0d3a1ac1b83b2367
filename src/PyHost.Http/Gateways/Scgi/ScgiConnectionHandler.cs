using System.Buffers;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;
using PyHost.Gateways.Scgi;

namespace PyHost.Http.Gateways.Scgi;

/// <summary>
/// Where a request enters from nginx's <c>scgi_pass</c>, Apache's <c>mod_proxy_scgi</c> or lighttpd's
/// <c>mod_scgi</c>: the netstring of headers (CONTENT_LENGTH first, SCGI=1), the body, and a CGI response with a
/// <c>Status:</c> header.
/// </summary>
internal sealed class ScgiConnectionHandler(GatewayServices services) : ContentLengthConnectionHandler(services)
{
    protected override string Protocol => "SCGI";

    protected override StatusLineStyle StatusLineStyle => StatusLineStyle.CgiStatusHeader;

    protected override OperationStatus TryReadHead(ref SequenceReader<byte> reader, out CgiVariables? variables, out string? error) =>
        ScgiRequestReader.TryRead(ref reader, Services.VariableLimits, out variables, out _, out error);
}
