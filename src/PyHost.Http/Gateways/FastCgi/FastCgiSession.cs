using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using PyHost.Gateways;
using PyHost.Gateways.FastCgi;

namespace PyHost.Http.Gateways.FastCgi;

/// <summary>What reading the next FastCGI event gave.</summary>
internal enum FastCgiRead
{
    Event,
    TimedOut,
    Stopping,
    Interrupted,
    Closed,
    Invalid,
}

/// <summary>
/// One FastCGI connection: the records read through the pure <see cref="FastCgiConnection"/> state machine, each
/// request run through the dispatch core in turn, and the connection kept or closed as FCGI_KEEP_CONN says (§5.1).
/// While a request runs, its body is read by the pool (<see cref="FastCgiExchange"/>); once the body has ended, a
/// watcher reads on, so that an FCGI_ABORT_REQUEST (§5.4) or a peer that closes stops the app.
/// </summary>
internal sealed class FastCgiSession : IAsyncDisposable
{
    private const string Protocol = "FastCGI";

    private readonly ConnectionContext _connection;
    private readonly GatewayServices _services;
    private readonly FastCgiConnection _protocol;
    private readonly GatewayInput _input;
    private readonly ArrayBufferWriter<byte> _replies = new(64);
    private readonly string _peer;
    private bool _closeAfterRequest;
    // The state machine is read by the watcher while the pool's pump may end the request (EndRequest).
    private readonly Lock _protocolLock = new();
    private readonly CancellationTokenRegistration _closedRegistration;
    private ReadOnlySequence<byte> _buffer;
    private SequencePosition _position;
    private bool _holding;
    private bool _completed;
    private FastCgiEvent? _stashed;
    private Task? _watcher;
    private CancellationTokenSource? _stopWatching;
    private CancellationTokenSource _requestAborted = new();

    public FastCgiSession(ConnectionContext connection, GatewayServices services, FastCgiConnection protocol)
    {
        _connection = connection;
        _services = services;
        _protocol = protocol;
        _peer = ContentLengthConnectionHandler.DescribePeer(connection);
        CancellationToken stopping = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        _input = new GatewayInput(connection.Transport.Input, stopping);
        _closedRegistration = connection.ConnectionClosed.UnsafeRegister(static state => ((FastCgiSession)state!).AbortRequest(), this);
        Output = connection.Transport.Output;
    }

    public PipeWriter Output { get; }

    /// <summary>Signalled when the web server aborts the running request or the connection closes.</summary>
    public CancellationToken RequestAborted => _requestAborted.Token;

    public async Task RunAsync()
    {
        bool first = true;
        while (true)
        {
            (ushort id, CgiVariables? variables) = await NextRequestAsync(first);
            first = false;
            if (variables is null)
            {
                break;
            }
            _closeAfterRequest = false;
            if (!await RunRequestAsync(id, variables))
            {
                return;
            }
            WriteReplies();
            FlushResult flushed = await Output.FlushAsync();
            if (_closeAfterRequest || flushed.IsCompleted || _input.Stopping.IsCancellationRequested)
            {
                break;
            }
        }
        WriteReplies();
        try
        {
            await Output.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or ConnectionResetException)
        {
            // The web server is gone; there was nothing left to say.
        }
    }

    /// <summary>False when the connection was aborted.</summary>
    private async ValueTask<bool> RunRequestAsync(ushort id, CgiVariables variables)
    {
        if (!GatewayRequest.TryCreate(variables, out GatewayRequest? request, out string? error))
        {
            GatewayLog.BadRequest(_services.Logger, Protocol, _peer, error!);
            FastCgiExchange.WriteErrorPage(Output, id, 400, "The web server in front sent a request PyHost cannot read: " + error);
            EndRequest(id);
            return true;
        }
        var exchange = new FastCgiExchange(this, request!, id, _services);
        if (!exchange.Body.HasBody)
        {
            StartWatching(exchange);
        }
        ConnectionFate fate = await GatewayResponder.DispatchAsync(exchange, _services, Protocol, _peer);
        await StopWatchingAsync();
        if (fate == ConnectionFate.Abort)
        {
            _connection.Abort(new ConnectionAbortedException("the response could not be completed"));
            return false;
        }
        // §3.3: the records of a request that ended are ignored; the rest of an unread body is skipped that way.
        if (!exchange.Ended)
        {
            EndRequest(id);
        }
        if (_requestAborted.IsCancellationRequested && !_connection.ConnectionClosed.IsCancellationRequested)
        {
            _requestAborted.Dispose();
            _requestAborted = new CancellationTokenSource();
        }
        return true;
    }

    /// <summary>The empty FCGI_STDOUT and FCGI_END_REQUEST (§5.5) of a request whose response is complete. §5.1: without
    /// FCGI_KEEP_CONN the application closes the connection after it.</summary>
    public void EndRequest(ushort id)
    {
        FastCgiRecordWriter.WriteEndOfStream(Output, FastCgiRecordType.Stdout, id);
        lock (_protocolLock)
        {
            _closeAfterRequest = _protocol.EndRequest(Output, id, 0);
        }
    }

    /// <summary>Reads until a request's params are complete; (0, null) when the connection ends instead.</summary>
    private async ValueTask<(ushort Id, CgiVariables? Variables)> NextRequestAsync(bool first)
    {
        long? begun = null;
        while (true)
        {
            TimeSpan timeout = begun is { } start ? Remaining(_services.HeadTimeout, start)
                : first ? _services.HeadTimeout : _services.KeepAliveTimeout;
            (FastCgiRead read, FastCgiEvent @event) = _stashed is { } stashed ? (FastCgiRead.Event, stashed) : await ReadEventAsync(timeout, idle: begun is null);
            _stashed = null;
            switch (read)
            {
                case FastCgiRead.TimedOut when begun is not null || first:
                    GatewayLog.HeadTimedOut(_services.Logger, Protocol, _peer, _services.HeadTimeout.TotalSeconds);
                    return (0, null);
                case not FastCgiRead.Event:
                    return (0, null);
            }
            switch (@event.Kind)
            {
                case FastCgiEventKind.RequestBegan:
                    begun = Stopwatch.GetTimestamp();
                    break;
                case FastCgiEventKind.ParamsComplete:
                    return (@event.RequestId, @event.Variables);
                case FastCgiEventKind.Aborted:
                    // Aborted before its params were complete: it never ran (§5.4 wants its FCGI_END_REQUEST).
                    lock (_protocolLock)
                    {
                        _protocol.EndRequest(_replies, @event.RequestId, 0);
                    }
                    await SendRepliesAsync();
                    begun = null;
                    break;
                default:
                    // Management answers and refusals go out at once; stray body records of no running request are
                    // ignored, as records of an inactive request id are (§3.3).
                    await SendRepliesAsync();
                    break;
            }
        }
    }

    private static TimeSpan Remaining(TimeSpan total, long start) =>
        total == Timeout.InfiniteTimeSpan ? total : total - Stopwatch.GetElapsedTime(start);

    /// <summary>
    /// The next event. A <see cref="FastCgiEventKind.StdinData"/> event's data stays valid until the next call.
    /// </summary>
    public async ValueTask<(FastCgiRead Read, FastCgiEvent Event)> ReadEventAsync(TimeSpan timeout, bool idle = false, CancellationToken interrupt = default)
    {
        while (true)
        {
            if (_holding)
            {
                var reader = new SequenceReader<byte>(_buffer.Slice(_position));
                OperationStatus status;
                FastCgiEvent @event;
                string? error;
                lock (_protocolLock)
                {
                    status = _protocol.TryReadEvent(ref reader, _replies, out @event, out error);
                }
                _position = reader.Position;
                if (status == OperationStatus.Done)
                {
                    return (FastCgiRead.Event, @event);
                }
                if (status == OperationStatus.InvalidData)
                {
                    GatewayLog.ProtocolError(_services.Logger, Protocol, _peer, error!);
                    return (FastCgiRead.Invalid, default);
                }
                _input.Reader.AdvanceTo(_position, _buffer.End);
                _holding = false;
                if (_completed)
                {
                    if (reader.Remaining > 0)
                    {
                        GatewayLog.ClosedEarly(_services.Logger, Protocol, _peer);
                    }
                    return (FastCgiRead.Closed, default);
                }
            }
            (GatewayReadStatus read, ReadResult result) = await _input.ReadAsync(timeout, idle, interrupt);
            switch (read)
            {
                case GatewayReadStatus.TimedOut:
                    return (FastCgiRead.TimedOut, default);
                case GatewayReadStatus.Stopping:
                    return (FastCgiRead.Stopping, default);
                case GatewayReadStatus.Interrupted:
                    return (FastCgiRead.Interrupted, default);
            }
            _buffer = result.Buffer;
            _position = _buffer.Start;
            _holding = true;
            _completed = result.IsCompleted;
        }
    }

    /// <summary>After the request's body ended (or when it has none): reads on while the app runs.</summary>
    public void StartWatching(FastCgiExchange exchange)
    {
        _stopWatching = new CancellationTokenSource();
        _watcher = WatchAsync(exchange, _stopWatching.Token);
    }

    private async Task WatchAsync(FastCgiExchange exchange, CancellationToken stop)
    {
        while (true)
        {
            (FastCgiRead read, FastCgiEvent @event) = await ReadEventAsync(Timeout.InfiniteTimeSpan, interrupt: stop);
            if (read == FastCgiRead.Interrupted)
            {
                return;
            }
            if (read != FastCgiRead.Event)
            {
                // The web server closed the connection or broke the protocol mid-request: nobody waits for the answer.
                AbortRequest();
                return;
            }
            if (@event.RequestId == exchange.RequestId && @event.Kind is FastCgiEventKind.Aborted or FastCgiEventKind.StdinData or FastCgiEventKind.StdinEnded)
            {
                if (@event.Kind == FastCgiEventKind.Aborted)
                {
                    AbortRequest();
                }
                continue;   // the end of a body the request does not read, or body bytes it does not expect
            }
            // Something for another request (a multiplexed FCGI_BEGIN_REQUEST, refused in the replies; or, once the
            // response ended, the next request on the connection, which may reuse the id): later.
            _stashed = @event;
            return;
        }
    }

    private async ValueTask StopWatchingAsync()
    {
        if (_watcher is null)
        {
            return;
        }
        await _stopWatching!.CancelAsync();
        await _watcher;
        _stopWatching.Dispose();
        _watcher = null;
        _stopWatching = null;
    }

    private void AbortRequest()
    {
        try
        {
            _requestAborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void WriteReplies()
    {
        if (_replies.WrittenCount > 0)
        {
            Output.Write(_replies.WrittenSpan);
            _replies.ResetWrittenCount();
        }
    }

    private async ValueTask SendRepliesAsync()
    {
        if (_replies.WrittenCount > 0)
        {
            WriteReplies();
            await Output.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync();
        await _closedRegistration.DisposeAsync();
        _input.Dispose();
        _requestAborted.Dispose();
    }
}
