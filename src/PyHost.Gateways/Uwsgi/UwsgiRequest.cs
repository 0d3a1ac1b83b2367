namespace PyHost.Gateways.Uwsgi;

/// <summary>A uwsgi WSGI request's header and vars. Its body, CONTENT_LENGTH bytes, follows on the connection.</summary>
public sealed class UwsgiRequest(UwsgiPacketHeader header, CgiVariables variables)
{
    public UwsgiPacketHeader Header { get; } = header;

    public CgiVariables Variables { get; } = variables;
}
