using System.Buffers;

namespace PyHost.Gateways.FastCgi;

/// <summary>
/// The application's side of one FastCGI connection as a pure state machine: it reads records, tracks each request
/// by id (several may be active when multiplexing, §3.3), answers management records itself, and tells the caller
/// what happened. No I/O: the caller feeds bytes and sends the replies it is handed.
/// </summary>
public sealed partial class FastCgiConnection(FastCgiConnectionOptions options)
{
    private readonly Dictionary<ushort, RequestState> _requests = [];

    public FastCgiConnection() : this(new FastCgiConnectionOptions())
    {
    }

    public FastCgiConnectionOptions Options { get; } = options;

    public int ActiveRequestCount => _requests.Count;

    public bool IsActive(ushort requestId) => _requests.ContainsKey(requestId);

    /// <summary>
    /// Reads records until one makes an event. <see cref="OperationStatus.Done"/>: <paramref name="event"/> says what
    /// happened, and <paramref name="replies"/> may hold records to send. <see cref="OperationStatus.NeedMoreData"/>:
    /// no whole record is left (records read so far are consumed). <see cref="OperationStatus.InvalidData"/>: the peer
    /// broke the protocol; <paramref name="error"/> says how, and the connection must be closed.
    /// </summary>
    public OperationStatus TryReadEvent(
        ref SequenceReader<byte> reader, IBufferWriter<byte> replies, out FastCgiEvent @event, out string? error)
    {
        @event = default;
        while (true)
        {
            OperationStatus status = FastCgiRecordReader.TryRead(ref reader, out FastCgiRecordHeader header,
                out ReadOnlySequence<byte> content, out error);
            if (status != OperationStatus.Done)
            {
                return status;
            }
            RecordResult result = Handle(header, content, replies, out @event, out error);
            if (result != RecordResult.Ignored)
            {
                return result == RecordResult.Event ? OperationStatus.Done : OperationStatus.InvalidData;
            }
        }
    }

    /// <summary>
    /// Ends an active request with FCGI_END_REQUEST (§5.5); the caller has written its FCGI_STDOUT, the empty
    /// FCGI_STDOUT that ends it, and any FCGI_STDERR. Returns true when the connection must be closed after the
    /// replies are sent: the web server did not set FCGI_KEEP_CONN (§5.1).
    /// </summary>
    public bool EndRequest(IBufferWriter<byte> output, ushort requestId, int appStatus,
        FastCgiProtocolStatus status = FastCgiProtocolStatus.RequestComplete)
    {
        if (!_requests.Remove(requestId, out RequestState? request))
        {
            throw new InvalidOperationException($"FastCGI request {requestId} is not active");
        }
        FastCgiRecordWriter.WriteEndRequest(output, requestId, appStatus, status);
        return !request.KeepConnection;
    }

    private enum RecordResult { Event, Ignored, Invalid }

    private RecordResult Handle(FastCgiRecordHeader header, ReadOnlySequence<byte> content, IBufferWriter<byte> replies,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        error = null;
        switch (header.Type)
        {
            case FastCgiRecordType.BeginRequest:
                return BeginRequest(header, content, replies, out @event, out error);
            case FastCgiRecordType.Params or FastCgiRecordType.Stdin or FastCgiRecordType.AbortRequest or FastCgiRecordType.Data:
                return RequestRecord(header, content, out @event, out error);
            case FastCgiRecordType.GetValues:
                return GetValues(header, content, replies, out @event, out error);
            case FastCgiRecordType.EndRequest or FastCgiRecordType.Stdout or FastCgiRecordType.Stderr
                or FastCgiRecordType.GetValuesResult or FastCgiRecordType.UnknownType:
                error = $"FastCGI record type {header.Type} is the application's to send, not the web server's";
                return RecordResult.Invalid;
            default:
                // §4.2: a type the application does not know gets FCGI_UNKNOWN_TYPE, and the connection goes on.
                FastCgiRecordWriter.WriteUnknownType(replies, (byte)header.Type);
                @event = new FastCgiEvent(FastCgiEventKind.ManagementAnswered, header.RequestId);
                return RecordResult.Event;
        }
    }

    private RecordResult BeginRequest(FastCgiRecordHeader header, ReadOnlySequence<byte> content, IBufferWriter<byte> replies,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        error = null;
        ushort id = header.RequestId;
        if (id == FastCgiProtocol.NullRequestId || content.Length != FastCgiProtocol.FixedBodyLength)
        {
            error = id == FastCgiProtocol.NullRequestId
                ? "FCGI_BEGIN_REQUEST with request id 0, which is for management records"
                : $"FCGI_BEGIN_REQUEST with a body of {content.Length} bytes instead of 8";
            return RecordResult.Invalid;
        }
        if (_requests.ContainsKey(id))
        {
            error = $"FCGI_BEGIN_REQUEST for request {id}, which is already active";
            return RecordResult.Invalid;
        }
        Span<byte> body = stackalloc byte[FastCgiProtocol.FixedBodyLength];
        content.CopyTo(body);
        var role = (FastCgiRole)(body[0] << 8 | body[1]);
        bool keepConnection = (body[2] & FastCgiProtocol.KeepConnectionFlag) != 0;

        FastCgiProtocolStatus? refusal = role != FastCgiRole.Responder ? FastCgiProtocolStatus.UnknownRole
            : _requests.Count < Options.MaxConcurrentRequests ? null
            : Options.MaxConcurrentRequests == 1 ? FastCgiProtocolStatus.CantMultiplexConnection
            : FastCgiProtocolStatus.Overloaded;
        if (refusal is { } status)
        {
            // §5.1: the request never becomes active; the web server learns why from FCGI_END_REQUEST.
            FastCgiRecordWriter.WriteEndRequest(replies, id, 0, status);
            @event = new FastCgiEvent(FastCgiEventKind.RequestRejected, id, keepConnection, rejectedWith: status);
            return RecordResult.Event;
        }
        _requests[id] = new RequestState(keepConnection);
        @event = new FastCgiEvent(FastCgiEventKind.RequestBegan, id, keepConnection);
        return RecordResult.Event;
    }

    private RecordResult RequestRecord(FastCgiRecordHeader header, ReadOnlySequence<byte> content,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        error = null;
        ushort id = header.RequestId;
        // §3.3: "While a request ID R is inactive, the application ignores records with requestId == R": a web server
        // may still send body after an abort was answered. DATA belongs to the Filter role, which PyHost refuses.
        if (!_requests.TryGetValue(id, out RequestState? request) || header.Type == FastCgiRecordType.Data)
        {
            return RecordResult.Ignored;
        }
        switch (header.Type)
        {
            case FastCgiRecordType.AbortRequest:
                if (request.Aborted)
                {
                    return RecordResult.Ignored;
                }
                request.Aborted = true;
                @event = new FastCgiEvent(FastCgiEventKind.Aborted, id);
                return RecordResult.Event;
            case FastCgiRecordType.Params:
                return Params(id, request, content, out @event, out error);
            default:
                return Stdin(id, request, content, out @event, out error);
        }
    }

    private RecordResult Params(ushort id, RequestState request, ReadOnlySequence<byte> content,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        error = null;
        if (request.ParamsComplete)
        {
            error = $"FCGI_PARAMS for request {id} after the empty record that ended them";
            return RecordResult.Invalid;
        }
        if (!content.IsEmpty)
        {
            // Pairs may straddle records (the params are one stream, §3.3), so the records are put together first.
            request.Params ??= new ArrayBufferWriter<byte>((int)Math.Min(content.Length * 2, Options.Limits.MaxVariablesBytes));
            if (request.Params.WrittenCount + content.Length > Options.Limits.MaxVariablesBytes)
            {
                error = $"FastCGI params of request {id} are over the limit of {Options.Limits.MaxVariablesBytes} bytes";
                return RecordResult.Invalid;
            }
            foreach (ReadOnlyMemory<byte> segment in content)
            {
                request.Params.Write(segment.Span);
            }
            return RecordResult.Ignored;
        }
        request.ParamsComplete = true;
        byte[] block = request.Params?.WrittenSpan.ToArray() ?? [];
        request.Params = null;
        if (!FastCgiNameValuePairs.TryParse(block, Options.Limits, out CgiVariables? variables, out error))
        {
            error = $"request {id}: {error}";
            return RecordResult.Invalid;
        }
        @event = new FastCgiEvent(FastCgiEventKind.ParamsComplete, id, request.KeepConnection, variables);
        return RecordResult.Event;
    }

    private static RecordResult Stdin(ushort id, RequestState request, ReadOnlySequence<byte> content,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        error = null;
        if (!request.ParamsComplete || request.StdinComplete)
        {
            error = request.StdinComplete
                ? $"FCGI_STDIN for request {id} after the empty record that ended it"
                : $"FCGI_STDIN for request {id} before the empty FCGI_PARAMS that ends its params";
            return RecordResult.Invalid;
        }
        if (content.IsEmpty)
        {
            request.StdinComplete = true;
            @event = new FastCgiEvent(FastCgiEventKind.StdinEnded, id);
            return RecordResult.Event;
        }
        if (request.Aborted)
        {
            return RecordResult.Ignored;
        }
        @event = new FastCgiEvent(FastCgiEventKind.StdinData, id, data: content);
        return RecordResult.Event;
    }

    private sealed class RequestState(bool keepConnection)
    {
        public bool KeepConnection { get; } = keepConnection;

        public ArrayBufferWriter<byte>? Params { get; set; }

        public bool ParamsComplete { get; set; }

        public bool StdinComplete { get; set; }

        public bool Aborted { get; set; }
    }
}
