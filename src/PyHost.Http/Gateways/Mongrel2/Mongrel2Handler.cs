using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using PyHost.Gateways;
using PyHost.Gateways.Mongrel2;

namespace PyHost.Http.Gateways.Mongrel2;

/// <summary>
/// PyHost as a Mongrel2 handler, as wsgid was (Mongrel2 manual, "Handlers"): a PULL socket connected to Mongrel2's
/// send_spec takes its requests, each one dispatched to the workers like any other; a PUB socket connected to its
/// recv_spec carries the responses, addressed by the sender's UUID (Mongrel2 subscribes to its own) and the client's
/// connection id. A disconnect message stops the request of that client. One thread receives; sends are serialized,
/// as a ZeroMQ socket belongs to one thread at a time.
/// </summary>
public sealed partial class Mongrel2Handler : IHostedService, IDisposable
{
    private static readonly TimeSpan ReceivePoll = TimeSpan.FromMilliseconds(200);

    private readonly Mongrel2Endpoints _endpoints;
    private readonly GatewayServices _services;
    private readonly ConcurrentDictionary<(string Sender, long Connection), CancellationTokenSource> _running = new();
    private readonly Lock _sendLock = new();
    private readonly CancellationTokenSource _receiving = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _requests = [];
    private PullSocket? _requestsIn;
    private PublisherSocket? _responsesOut;
    private Thread? _receiver;

    internal Mongrel2Handler(Mongrel2Endpoints endpoints, GatewayServices services)
    {
        _endpoints = endpoints;
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _requestsIn = new PullSocket();
        _responsesOut = new PublisherSocket();
        // A PUB socket drops messages past its high-water mark: a response must never lose a piece, so no mark.
        _responsesOut.Options.SendHighWatermark = 0;
        _requestsIn.Connect(_endpoints.SendSpec);
        _responsesOut.Connect(_endpoints.RecvSpec);
        _receiver = new Thread(Receive) { IsBackground = true, Name = "mongrel2 handler" };
        _receiver.Start();
        LogStarted(_services.Logger, _endpoints.SendSpec, _endpoints.RecvSpec);
        return Task.CompletedTask;
    }

    private void Receive()
    {
        while (!_receiving.IsCancellationRequested)
        {
            if (!_requestsIn!.TryReceiveFrameBytes(ReceivePoll, out byte[]? message))
            {
                continue;
            }
            OperationStatus status = Mongrel2RequestReader.Read(new ReadOnlySequence<byte>(message), _services.VariableLimits, int.MaxValue,
                out Mongrel2Request? request, out string? error);
            if (status != OperationStatus.Done)
            {
                GatewayLog.ProtocolError(_services.Logger, "Mongrel2", _endpoints.SendSpec, error ?? "unreadable message");
                continue;
            }
            if (request!.IsDisconnect)
            {
                // The client left: its running request, if any, stops as for a closed connection.
                if (_running.TryGetValue((request.Sender, request.ConnectionId), out CancellationTokenSource? aborted))
                {
                    aborted.Cancel();
                }
                continue;
            }
            Task served = ServeAsync(request);
            lock (_requests)
            {
                _requests.RemoveAll(task => task.IsCompleted);
                _requests.Add(served);
            }
        }
    }

    private async Task ServeAsync(Mongrel2Request message)
    {
        await Task.Yield();   // off the receiving thread
        var key = (message.Sender, message.ConnectionId);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _running[key] = aborted;
        try
        {
            if (!GatewayRequest.TryCreate(message.ToCgiVariables(), out GatewayRequest? request, out string? error))
            {
                GatewayLog.BadRequest(_services.Logger, "Mongrel2", $"{message.Sender} {message.ConnectionId}", error!);
                var refusal = new ArrayBufferWriter<byte>(512);
                GatewayErrorPage.Write(refusal, PyHost.Gateways.Cgi.StatusLineStyle.HttpStatusLine, 400, "The request could not be read: " + error);
                Send(message.Sender, message.ConnectionId, refusal.WrittenSpan);
                SendClose(message.Sender, message.ConnectionId);
                return;
            }
            var exchange = new Mongrel2Exchange(this, message, request!, _services, aborted);
            ConnectionFate fate = await GatewayResponder.DispatchAsync(exchange, _services, "Mongrel2", $"{message.Sender} {message.ConnectionId}");
            if (fate == ConnectionFate.Abort || exchange.CloseAfterResponse)
            {
                exchange.CloseClient();
            }
        }
        catch (Exception ex)
        {
            LogFailed(_services.Logger, message.ConnectionId, ex.Message);
            SendClose(message.Sender, message.ConnectionId);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<(string, long), CancellationTokenSource>(key, aborted));
        }
    }

    internal void Send(string sender, long connectionId, ReadOnlySpan<byte> body)
    {
        var message = new ArrayBufferWriter<byte>(body.Length + 64);
        Mongrel2ResponseWriter.Write(message, sender, [connectionId], body);
        SendFrame(message);
    }

    internal void SendClose(string sender, long connectionId)
    {
        var message = new ArrayBufferWriter<byte>(64);
        Mongrel2ResponseWriter.WriteClose(message, sender, [connectionId]);
        SendFrame(message);
    }

    private void SendFrame(ArrayBufferWriter<byte> message)
    {
        byte[] frame = message.WrittenSpan.ToArray();
        lock (_sendLock)
        {
            _responsesOut?.SendFrame(frame);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // New requests stop; those running finish within the graceful timeout, as the HTTP front's do.
        await _receiving.CancelAsync();
        _receiver?.Join();
        Task[] running;
        lock (_requests)
        {
            running = [.. _requests];
        }
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        await _stopping.CancelAsync();
    }

    public void Dispose()
    {
        _receiving.Cancel();
        _stopping.Cancel();
        _receiver?.Join();
        lock (_sendLock)
        {
            _responsesOut?.Dispose();
            _responsesOut = null;
        }
        _requestsIn?.Dispose();
        _receiving.Dispose();
        _stopping.Dispose();
        NetMQConfig.Cleanup(block: false);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Mongrel2 handler: requests from {SendSpec}, responses to {RecvSpec}")]
    private static partial void LogStarted(ILogger logger, string sendSpec, string recvSpec);

    [LoggerMessage(EventId = 311, Level = LogLevel.Error, Message = "Mongrel2 request of connection {Connection} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, long connection, string error);
}
