using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using PyHost.Gateways;
using PyHost.Gateways.Cgi;

namespace PyHost.Http.Gateways;

/// <summary>
/// A connection of the gateway protocols that carry one request each, uwsgi and SCGI: the head (vars, headers), then
/// CONTENT_LENGTH bytes of body; the response is a CGI-style head and the body, ended by closing the connection.
/// Front servers open a connection per request for them (nginx keeps FastCGI connections only).
/// </summary>
internal abstract class ContentLengthConnectionHandler(GatewayServices services) : ConnectionHandler
{
    // After an early answer (413, an app that did not read its upload) the rest of the body is read and dropped before
    // the connection closes: closing a socket with unread bytes resets it, and the front server may then lose the
    // answer and report a 502 instead. Bounded, as Kestrel and nginx bound their lingering close.
    private const long MaxDrainBytes = 64L * 1024 * 1024;
    private static readonly TimeSpan MaxDrainTime = TimeSpan.FromSeconds(5);

    protected GatewayServices Services { get; } = services;

    /// <summary>"uwsgi", "SCGI": for log lines.</summary>
    protected abstract string Protocol { get; }

    protected abstract StatusLineStyle StatusLineStyle { get; }

    protected abstract OperationStatus TryReadHead(ref SequenceReader<byte> reader, out CgiVariables? variables, out string? error);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        string peer = DescribePeer(connection);
        CancellationToken stopping = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        using var input = new GatewayInput(connection.Transport.Input, stopping);
        CgiVariables? variables = await ReadHeadAsync(input, peer);
        if (variables is null)
        {
            return;
        }
        PipeWriter output = connection.Transport.Output;
        if (!GatewayRequest.TryCreate(variables, out GatewayRequest? request, out string? error))
        {
            GatewayLog.BadRequest(Services.Logger, Protocol, peer, error!);
            GatewayErrorPage.Write(output, StatusLineStyle, 400, "The web server in front sent a request PyHost cannot read: " + error);
            await output.FlushAsync();
            return;
        }
        var exchange = new ContentLengthExchange(request!, Services, connection, input, StatusLineStyle);
        ConnectionFate fate = await GatewayResponder.DispatchAsync(exchange, Services, Protocol, peer);
        if (fate == ConnectionFate.Abort)
        {
            connection.Abort(new ConnectionAbortedException("the response could not be completed"));
            return;
        }
        await output.CompleteAsync();
        if (exchange.BodyRemaining > 0 && !exchange.ClientAborted.IsCancellationRequested)
        {
            await DrainAsync(input.Reader, exchange.BodyRemaining);
        }
    }

    private async ValueTask<CgiVariables?> ReadHeadAsync(GatewayInput input, string peer)
    {
        PipeReader reader = input.Reader;
        // The whole head must come within the timeout, however it trickles in (slowloris).
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            TimeSpan left = Services.HeadTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan
                : Services.HeadTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(start);
            (GatewayReadStatus status, ReadResult result) = await input.ReadAsync(left, idle: true);
            if (status != GatewayReadStatus.Read)
            {
                if (status == GatewayReadStatus.TimedOut)
                {
                    GatewayLog.HeadTimedOut(Services.Logger, Protocol, peer, Services.HeadTimeout.TotalSeconds);
                }
                return null;
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            var sequence = new SequenceReader<byte>(buffer);
            OperationStatus parsed = TryReadHead(ref sequence, out CgiVariables? variables, out string? error);
            if (parsed == OperationStatus.Done)
            {
                reader.AdvanceTo(sequence.Position);
                return variables;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (parsed == OperationStatus.InvalidData)
            {
                GatewayLog.ProtocolError(Services.Logger, Protocol, peer, error!);
                return null;
            }
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    GatewayLog.ClosedEarly(Services.Logger, Protocol, peer);
                }
                return null;
            }
        }
    }

    private static async Task DrainAsync(PipeReader reader, long remaining)
    {
        if (remaining > MaxDrainBytes)
        {
            return;
        }
        using var deadline = new CancellationTokenSource(MaxDrainTime);
        try
        {
            while (remaining > 0)
            {
                ReadResult result = await reader.ReadAsync(deadline.Token);
                long take = Math.Min(remaining, result.Buffer.Length);
                reader.AdvanceTo(result.Buffer.GetPosition(take));
                remaining -= take;
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
        }
    }

    /// <summary>"127.0.0.1:43210", or "unix socket" for a peer on a Unix socket (it has no address).</summary>
    internal static string DescribePeer(ConnectionContext connection) => connection.RemoteEndPoint switch
    {
        IPEndPoint ip => ip.ToString(),
        null => "unix socket",
        var other when other.ToString() is { Length: > 0 } text => text,
        _ => "unix socket",
    };
}
