using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Gateways;
using PyHost.Http.Routing;
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
/// Routes a gateway request as the HTTP front routes its own (HttpFront.HandleAsync): the site by the host the front
/// server names, the route by the path of REQUEST_URI and the method. An app's route goes through the one dispatch core
/// with the route's policy, and what the app could not answer is answered as the HTTP front does
/// (HttpFront.AnswerFailureAsync): an error page while nothing was sent, else a cut connection.
/// </summary>
internal static class GatewayResponder
{
    // As the HTTP front: let the bytes the app did send leave before the reset drops them.
    private static readonly TimeSpan AbortDrainDelay = TimeSpan.FromMilliseconds(50);

    public static async ValueTask<ConnectionFate> DispatchAsync(GatewayExchange exchange, GatewayServices services, string protocol, string peer)
    {
        GatewayRequest request = exchange.Request;
        RouteTable routes = services.Front.Routes;
        string host = HttpFront.HostName(request.Host);
        RouteMatch? match = routes.Match(host, RequestTarget.RawPath(request.RequestUri), request.Method);
        exchange.Site = match?.Site.Name ?? routes.FindSiteFor(host)?.Name;
        ConnectionFate fate = match?.Endpoint switch
        {
            AppEndpoint app => await DispatchToAppAsync(exchange, app, match.MountPrefix, services, protocol, peer),
            RedirectEndpoint redirect => await RedirectAsync(exchange, redirect),
            RespondEndpoint respond => await RespondAsync(exchange, respond),
            // A web server in front serves its files itself; PyHost's file serving is its HTTP front's.
            StaticEndpoint => await AnswerAsync(exchange, 404, "This path is a static route: PyHost serves its files on HTTP listeners only."),
            null when routes.FindSiteFor(host) is not null => await AnswerAsync(exchange, 404, "No route of this site serves this path."),
            null => await AnswerAsync(exchange, 421, $"This server has no site for the host name '{request.Host}'."),
            _ => await AnswerAsync(exchange, 404, $"A {match.Route.Target?.Kind} route is served on HTTP listeners only."),
        };
        exchange.LogAccess();
        return fate;
    }

    private static async ValueTask<ConnectionFate> DispatchToAppAsync(
        GatewayExchange exchange, AppEndpoint app, string mountPrefix, GatewayServices services, string protocol, string peer)
    {
        exchange.MountPrefix = mountPrefix;
        exchange.App = app.App;
        DispatchOutcome outcome = await app.Pool.DispatchAsync(exchange, app.Policy);
        return outcome == DispatchOutcome.Completed ? ConnectionFate.Complete : await AnswerFailureAsync(exchange, outcome, services, protocol, peer);
    }

    private static async ValueTask<ConnectionFate> RedirectAsync(GatewayExchange exchange, RedirectEndpoint redirect)
    {
        GatewayRequest request = exchange.Request;
        string host = request.Variables.GetLatin1("HTTP_HOST") ?? request.Host ?? "";
        string location = redirect.Target.Location.Expand(request.Scheme, host, RequestTarget.RawPath(request.RequestUri), request.QueryString);
        exchange.WriteResponse(redirect.Target.Status, [new("Location", location), new("Content-Length", "0")], []);
        return await exchange.FlushAsync() ? ConnectionFate.Complete : ConnectionFate.Abort;
    }

    private static async ValueTask<ConnectionFate> RespondAsync(GatewayExchange exchange, RespondEndpoint respond)
    {
        byte[] body = Encoding.UTF8.GetBytes(respond.Target.Body);
        List<KeyValuePair<string, string>> headers = [.. respond.Target.Headers.Select(header => new KeyValuePair<string, string>(header.Key, header.Value))];
        headers.Add(new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        exchange.WriteResponse(respond.Target.Status, headers, body);
        return await exchange.FlushAsync() ? ConnectionFate.Complete : ConnectionFate.Abort;
    }

    private static async ValueTask<ConnectionFate> AnswerAsync(GatewayExchange exchange, int status, string explanation)
    {
        exchange.WriteErrorResponse(status, explanation);
        return await exchange.FlushAsync() ? ConnectionFate.Complete : ConnectionFate.Abort;
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
