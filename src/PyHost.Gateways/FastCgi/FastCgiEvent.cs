using System.Buffers;

namespace PyHost.Gateways.FastCgi;

public enum FastCgiEventKind
{
    /// <summary>FCGI_BEGIN_REQUEST for a Responder: the request is active; its params come next.</summary>
    RequestBegan,

    /// <summary>The empty FCGI_PARAMS that ends them: <see cref="FastCgiEvent.Variables"/> holds the CGI variables.</summary>
    ParamsComplete,

    /// <summary>A chunk of request body: <see cref="FastCgiEvent.Data"/>, valid until the caller lets go of the
    /// bytes it read.</summary>
    StdinData,

    /// <summary>The empty FCGI_STDIN that ends the body.</summary>
    StdinEnded,

    /// <summary>FCGI_ABORT_REQUEST: the client went away. The caller stops the request and calls
    /// <see cref="FastCgiConnection.EndRequest"/> (§5.4).</summary>
    Aborted,

    /// <summary>A request the connection refused, already answered with FCGI_END_REQUEST in the replies:
    /// <see cref="FastCgiEvent.RejectedWith"/> says why (a role other than Responder, or no free request slot).</summary>
    RequestRejected,

    /// <summary>A management record (FCGI_GET_VALUES, or an unknown type) answered in the replies; send them.</summary>
    ManagementAnswered,
}

/// <summary>One thing that happened on a FastCGI connection, told by <see cref="FastCgiConnection.TryReadEvent"/>.</summary>
public readonly struct FastCgiEvent
{
    internal FastCgiEvent(
        FastCgiEventKind kind, ushort requestId, bool keepConnection = false, CgiVariables? variables = null,
        ReadOnlySequence<byte> data = default, FastCgiProtocolStatus rejectedWith = FastCgiProtocolStatus.RequestComplete)
    {
        Kind = kind;
        RequestId = requestId;
        KeepConnection = keepConnection;
        Variables = variables;
        Data = data;
        RejectedWith = rejectedWith;
    }

    public FastCgiEventKind Kind { get; }

    /// <summary>The request the event is about; 0 for management records.</summary>
    public ushort RequestId { get; }

    /// <summary>For <see cref="FastCgiEventKind.RequestBegan"/>: FCGI_KEEP_CONN was set.</summary>
    public bool KeepConnection { get; }

    public CgiVariables? Variables { get; }

    public ReadOnlySequence<byte> Data { get; }

    public FastCgiProtocolStatus RejectedWith { get; }

    public override string ToString() => $"{Kind} #{RequestId}";
}
