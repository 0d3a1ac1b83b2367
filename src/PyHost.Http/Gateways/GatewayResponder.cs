using Microsoft.Extensions.Logging;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Gateways;

/// <summary>What becomes of a gateway connection after a request.</summary>
internal enum ConnectionFate
{
    /// <summary>The response is complete: the connection may carry the protocol's end of request, and another.</summary>
    Complete,

    /// <summary>The response was cut short or there is no one to answer: reset the connection, so that the front
    /// server sees a broken response (its 502, or a cut-off body to its client) rather than a complete one.</summary>
    Abort,
}

/// <summary>
/// Sends a gateway request through the one dispatch core and answers what the app could not, as the HTTP front does
/// (HttpFront.AnswerFailureAsync): an error page while nothing was sent, else a cut connection.
/// </summary>
internal static class GatewayResponder
{
    // As the HTTP front: let the bytes the app did send leave before the reset drops them.
    private static readonly TimeSpan AbortDrainDelay = TimeSpan.FromMilliseconds(50);

    public static async ValueTask<ConnectionFate> DispatchAsync(GatewayExchange exchange, GatewayServices services, string protocol, string peer)
    {
        DispatchOutcome outcome = await services.Pool.DispatchAsync(exchange, services.Policy);
        ConnectionFate fate = outcome == DispatchOutcome.Completed ? ConnectionFate.Complete : await AnswerFailureAsync(exchange, outcome, services, protocol, peer);
        exchange.LogAccess();
        return fate;
    }

    private static async ValueTask<ConnectionFate> AnswerFailureAsync(
        GatewayExchange exchange, DispatchOutcome outcome, GatewayServices services, string protocol, string peer)
    {
        ILogger logger = services.Logger;
        if (outcome == DispatchOutcome.ClientGone)
        {
            return ConnectionFate.Abort;
        }
        if (outcome == DispatchOutcome.RequestBodyFailed)
        {
            // A front server that left gets nothing; one too slow or with a broken body gets the status of it.
            if (exchange.BodyError is { StatusCode: > 0 } error && !exchange.ResponseStarted && !exchange.ClientAborted.IsCancellationRequested)
            {
                GatewayLog.BodyFailed(logger, protocol, peer, exchange.Describe(), error.Reason, error.StatusCode);
                exchange.WriteErrorResponse(error.StatusCode, "The request body could not be read: " + error.Reason);
                return await exchange.FlushAsync() ? ConnectionFate.Complete : ConnectionFate.Abort;
            }
            return ConnectionFate.Abort;
        }
        if (!exchange.ResponseStarted)
        {
            if (outcome == DispatchOutcome.Timeout)
            {
                GatewayLog.TimeoutAnswered(logger, exchange.Describe());
            }
            exchange.WriteErrorResponse(outcome.ErrorStatusCode(), ErrorPages.Explain(outcome));
            return await exchange.FlushAsync() ? ConnectionFate.Complete : ConnectionFate.Abort;
        }
        if (outcome == DispatchOutcome.Timeout)
        {
            GatewayLog.TimeoutCut(logger, exchange.Describe(), exchange.BodyBytesSent);
        }
        await exchange.FlushAsync();
        await Task.Delay(AbortDrainDelay);
        return ConnectionFate.Abort;
    }
}
