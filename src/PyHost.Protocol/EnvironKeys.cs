namespace PyHost.Protocol;

/// <summary>
/// The CGI keys of a WSGI environ (PEP 3333, "environ Variables"), with gunicorn's REQUEST_URI and RAW_URI, encoded
/// once for <see cref="MarshalWriter"/>: the HTTP front and the gateway listeners write the same keys, so an app
/// cannot tell how its request arrived (docs/protocol.md, "The environ payload").
/// </summary>
public static class EnvironKeys
{
    public static readonly byte[] RequestMethod = MarshalWriter.EncodeKey("REQUEST_METHOD");
    public static readonly byte[] ScriptName = MarshalWriter.EncodeKey("SCRIPT_NAME");
    public static readonly byte[] PathInfo = MarshalWriter.EncodeKey("PATH_INFO");
    public static readonly byte[] QueryString = MarshalWriter.EncodeKey("QUERY_STRING");
    public static readonly byte[] RequestUri = MarshalWriter.EncodeKey("REQUEST_URI");
    public static readonly byte[] RawUri = MarshalWriter.EncodeKey("RAW_URI");
    public static readonly byte[] ServerProtocol = MarshalWriter.EncodeKey("SERVER_PROTOCOL");
    public static readonly byte[] UrlScheme = MarshalWriter.EncodeKey("wsgi.url_scheme");
    public static readonly byte[] ServerName = MarshalWriter.EncodeKey("SERVER_NAME");
    public static readonly byte[] ServerPort = MarshalWriter.EncodeKey("SERVER_PORT");
    public static readonly byte[] RemoteAddr = MarshalWriter.EncodeKey("REMOTE_ADDR");
    public static readonly byte[] RemotePort = MarshalWriter.EncodeKey("REMOTE_PORT");
    public static readonly byte[] ContentType = MarshalWriter.EncodeKey("CONTENT_TYPE");
    public static readonly byte[] ContentLength = MarshalWriter.EncodeKey("CONTENT_LENGTH");

    /// <summary>PyHost's own key: the name of the site whose route chose the app (PEP 3333 lets a server add keys of
    /// its own prefix), for error lines that name the site.</summary>
    public static readonly byte[] Site = MarshalWriter.EncodeKey("pyhost.site");
}
