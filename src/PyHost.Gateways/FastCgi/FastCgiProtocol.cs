namespace PyHost.Gateways.FastCgi;

/// <summary>Record types (FastCGI Specification 1.0, Mark R. Brown, Open Market 1996, §8).</summary>
public enum FastCgiRecordType : byte
{
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
    Data = 8,
    GetValues = 9,
    GetValuesResult = 10,
    UnknownType = 11,
}

/// <summary>The role in FCGI_BEGIN_REQUEST (§5). PyHost plays the Responder, as a WSGI server does.</summary>
public enum FastCgiRole : ushort
{
    Responder = 1,
    Authorizer = 2,
    Filter = 3,
}

/// <summary>The protocolStatus of FCGI_END_REQUEST (§5.5).</summary>
public enum FastCgiProtocolStatus : byte
{
    /// <summary>The request ended normally.</summary>
    RequestComplete = 0,

    /// <summary>A second request on a connection that carries one at a time.</summary>
    CantMultiplexConnection = 1,

    /// <summary>The application is out of some resource, e.g. request slots.</summary>
    Overloaded = 2,

    /// <summary>A role other than the one the application plays.</summary>
    UnknownRole = 3,
}

public static class FastCgiProtocol
{
    public const byte Version = 1;

    /// <summary>Management records (§3.3) carry request id 0.</summary>
    public const ushort NullRequestId = 0;

    /// <summary>FCGI_KEEP_CONN in FCGI_BEGIN_REQUEST's flags: the application must not close the connection after
    /// the request (§5.1).</summary>
    public const byte KeepConnectionFlag = 1;

    /// <summary>The body of FCGI_BEGIN_REQUEST, FCGI_END_REQUEST and FCGI_UNKNOWN_TYPE.</summary>
    public const int FixedBodyLength = 8;

    /// <summary>Variables an FCGI_GET_VALUES may ask about (§4.1).</summary>
    public const string MaxConnections = "FCGI_MAX_CONNS";
    public const string MaxRequests = "FCGI_MAX_REQS";
    public const string MultiplexesConnections = "FCGI_MPXS_CONNS";
}
