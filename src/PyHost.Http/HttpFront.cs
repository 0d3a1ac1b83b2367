using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using PyHost.Http.Forwarding;
using PyHost.Http.Observability;
using PyHost.Http.Routing;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

/// <summary>
/// Where an HTTP request enters, whichever listener took it: the door (checks, trusted origin), then the route table
/// (site by host name, route by path and method), then the route's endpoint — an app's workers through the one
/// dispatch core (<see cref="WorkerPool.DispatchAsync"/>), files, a redirect or a fixed answer — with the site's
/// compression and error pages. The route table is swapped whole by a reload; a request uses the one it started with.
/// </summary>
public sealed partial class HttpFront
{
    private static readonly TimeSpan AbortDrainDelay = TimeSpan.FromMilliseconds(50);

    private readonly RequestObserver _observer;
    private readonly ILogger _logger;
    private readonly Action _pathsendCopied;
    private RouteTable _routes;
    private FrontTrust _trust;
    private volatile bool _appsSendFiles;

    public HttpFront(RouteTable routes, FrontTrust trust, AccessLog? accessLog, ILogger logger)
    {
        _routes = routes;
        _trust = trust;
        _observer = new RequestObserver(accessLog, Statistics, () => Trust.ForwardedAllowIps);
        AccessLog = accessLog;
        _logger = logger;
        _pathsendCopied = () => _appsSendFiles = true;
    }

    /// <summary>The access log every listener writes to, the gateway listeners' too.</summary>
    internal AccessLog? AccessLog { get; }

    /// <summary>Live request rates and latencies per app, read by the admin API.</summary>
    public FrontStatistics Statistics { get; } = new();

    /// <summary>Whose proxy headers are believed; the same for every listener, replaced by a reload.</summary>
    public FrontTrust Trust
    {
        get => Volatile.Read(ref _trust);
        set => Volatile.Write(ref _trust, value);
    }

    /// <summary>The sites and routes in force; a reload sets a new table, which the next request uses.</summary>
    public RouteTable Routes
    {
        get => Volatile.Read(ref _routes);
        set => Volatile.Write(ref _routes, value);
    }

    /// <summary>
    /// Whether a new plaintext HTTP/1.1 connection gets the zero-copy output, which sends files by sendfile(2) and costs
    /// about 1 KB while the connection is open: while some route serves files, or once an app has sent a file by pathsend
    /// that would have gone by sendfile on such a connection (it was copied for want of the output). An ASGI app that
    /// never does, WebSockets and all, pays nothing; one that does has the connections opened from then on set up.
    /// </summary>
    internal bool NewConnectionsSendFiles => Routes.ServesFiles || _appsSendFiles;

    /// <summary>Answers one request that <paramref name="listener"/> took: its id, span, metrics and access log line
    /// (<see cref="RequestObserver"/>) cover everything from the door on, compression too.</summary>
    public Task HandleAsync(HttpContext context, FrontListenerSettings listener) =>
        _observer.InvokeAsync(context, observed => RouteAsync(observed, listener));

    private async Task RouteAsync(HttpContext context, FrontListenerSettings listener)
    {
        if (await AnsweredAtTheDoorAsync(context, listener.Limits))
        {
            return;
        }
        if (listener.HealthEndpoints && await AnsweredHealthAsync(context))
        {
            return;
        }
        RequestOrigin origin = RequestOriginFeature.Get(context);
        string rawPath = RequestTarget.RawPath(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
        RouteMatch? match = Routes.Match(HostName(origin.Host), rawPath, context.Request.Method);
        if (match is null)
        {
            await AnswerNoRouteAsync(context, origin);
            return;
        }
        if (RequestRecord.Of(context) is { } record)
        {
            record.Site = match.Site.Name;
        }
        if (!match.Guards.IsEmpty && !await AdmittedAsync(context, match))
        {
            return;
        }
        // A WebSocket's bytes are no response body: they skip response compression (permessage-deflate is the
        // socket's own).
        if (match.Site.Compression is { } compression && !context.WebSockets.IsWebSocketRequest)
        {
            await compression.InvokeAsync(context, next => ServeAsync(next, match, rawPath, listener));
        }
        else
        {
            await ServeAsync(context, match, rawPath, listener);
        }
    }

    private Task ServeAsync(HttpContext context, RouteMatch match, string rawPath, FrontListenerSettings listener) => match.Endpoint switch
    {
        // A CGI local redirect (RFC 3875 §6.2.2) is a new GET through the whole front.
        CgiEndpoint cgi => ServeCgiAsync(context, cgi, again => HandleAsync(again, listener)),
        AppEndpoint app => DispatchAsync(context, match, app),
        StaticEndpoint files => ServeStaticAsync(context, files, rawPath),
        RedirectEndpoint redirect => RedirectAsync(context, match, redirect, rawPath),
        RespondEndpoint respond => RespondAsync(context, match, respond),
        ProxyEndpoint proxy => ProxyAsync(context, match, proxy),
        _ => throw new InvalidOperationException($"no way to serve a {match.Endpoint.GetType().Name}"),
    };

    private async Task DispatchAsync(HttpContext context, RouteMatch match, AppEndpoint app)
    {
        var exchange = new HttpWorkerExchange(context, match.MountPrefix, app.WebSockets)
        {
            Site = match.Site.Name,
            App = app.App,
            ZeroCopyMissing = _pathsendCopied,
        };
        DispatchOutcome outcome = await app.Pool.DispatchAsync(exchange, app.Policy);
        if (outcome != DispatchOutcome.Completed)
        {
            await AnswerFailureAsync(context, exchange, outcome, match.Site.ErrorPages);
        }
        RequestRecord.Of(context)?.Served(app.App, match.Route.Path, exchange.BodyBytesSent, exchange.BodyBytesReceived);
    }

    private async Task ServeCgiAsync(HttpContext context, CgiEndpoint cgi, Func<HttpContext, Task> serveAgain)
    {
        if (await cgi.Scripts.ServeAsync(context, cgi, serveAgain) is { } sent)
        {
            RequestRecord.Of(context)?.Served(null, context.Request.Path.Value ?? "", sent, 0);
        }
    }

    private async Task ServeStaticAsync(HttpContext context, StaticEndpoint files, string rawPath)
    {
        long sent = await files.Files.ServeAsync(context, files.Mount, files.Mount.PathBelow(rawPath) ?? "");
        RequestRecord.Of(context)?.Served(null, files.Mount.UrlPrefix, sent, 0);
    }

    private Task RedirectAsync(HttpContext context, RouteMatch match, RedirectEndpoint redirect, string rawPath)
    {
        RequestOrigin origin = RequestOriginFeature.Get(context);
        RequestTarget.Split(context.Features.Get<IHttpRequestFeature>()!.RawTarget, out _, out ReadOnlySpan<char> query);
        string location = redirect.Target.Location.Expand(origin.Scheme, origin.Host ?? origin.ServerName, rawPath, query.ToString());
        context.Response.StatusCode = redirect.Target.Status;
        context.Response.Headers.Location = location;
        context.Response.ContentLength = 0;
        RequestRecord.Of(context)?.Served(null, match.Route.Path, 0, 0);
        return Task.CompletedTask;
    }

    private async Task RespondAsync(HttpContext context, RouteMatch match, RespondEndpoint respond)
    {
        HttpResponse response = context.Response;
        response.StatusCode = respond.Target.Status;
        foreach (var (name, value) in respond.Target.Headers)
        {
            response.Headers.Append(name, value);
        }
        byte[] body = Encoding.UTF8.GetBytes(respond.Target.Body);
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method) && body.Length > 0)
        {
            await response.Body.WriteAsync(body);
        }
        RequestRecord.Of(context)?.Served(null, match.Route.Path, HttpMethods.IsHead(context.Request.Method) ? 0 : body.Length, 0);
    }

    /// <summary>No site takes the host name (421, RFC 9110 §15.5.20: this server has no authority for it), or the site
    /// has no route for the path (404).</summary>
    private async Task AnswerNoRouteAsync(HttpContext context, RequestOrigin origin)
    {
        if (Routes.FindSiteFor(HostName(origin.Host)) is { } site)
        {
            if (RequestRecord.Of(context) is { } record)
            {
                record.Site = site.Name;
            }
            if (ErrorPageFile.For(site.ErrorPages, 404) is not { } page || await page.TryWriteAsync(context, 404) is null)
            {
                await ErrorPages.WriteAsync(context, 404, "No route of this site serves this path.");
            }
        }
        else
        {
            await ErrorPages.WriteAsync(context, 421, $"This server has no site for the host name '{origin.Host}'.");
        }
        RequestRecord.Of(context)?.Served(null, "", context.Response.ContentLength ?? 0, 0);
    }

    /// <summary>The Host without its port: "example.com" of "example.com:8000", "[::1]" of "[::1]:8000".</summary>
    internal static string HostName(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return "";
        }
        int colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(']', colon) < 0 && (host[0] == '[' || host.IndexOf(':') == colon) ? host[..colon] : host;
    }

    private async Task AnswerFailureAsync(HttpContext context, HttpWorkerExchange exchange, DispatchOutcome outcome, IReadOnlyList<ErrorPageFile> errorPages)
    {
        if (outcome == DispatchOutcome.ClientGone)
        {
            context.Abort();
            return;
        }
        if (outcome == DispatchOutcome.RequestBodyFailed)
        {
            // A malformed, oversized or too slow body gets the status Kestrel gave it; a client that left gets nothing.
            if (exchange.BodyError is BadHttpRequestException bad && !context.RequestAborted.IsCancellationRequested)
            {
                // RFC 9112 §6.3: after a body it could not read, the server cannot find the next request's start.
                context.Response.Headers.Connection = "close";
                await ErrorPages.WriteAsync(context, bad.StatusCode, "The request body could not be read: " + bad.Message);
            }
            else
            {
                context.Abort();
            }
            return;
        }
        // The app never started a response: an honest error page. Once it did, the only signal left is a cut
        // connection after what it sent (PEP 3333: an error after the headers cannot become a new status).
        if (!exchange.ResponseStarted)
        {
            if (outcome == DispatchOutcome.Timeout)
            {
                LogTimeoutAnswered(exchange.Describe());
            }
            if (outcome == DispatchOutcome.RequestBodyTooLarge)
            {
                // The rest of the body is not read: the connection cannot carry another request.
                context.Response.Headers.Connection = "close";
            }
            if (ErrorPageFile.For(errorPages, outcome.ErrorStatusCode()) is not { } page || await page.TryWriteAsync(context, outcome.ErrorStatusCode()) is null)
            {
                await ErrorPages.WriteAsync(context, outcome);
            }
            return;
        }
        if (outcome == DispatchOutcome.Timeout)
        {
            LogTimeoutCut(exchange.Describe(), exchange.BodyBytesSent);
        }
        await exchange.FlushAsync();
        // A flush hands the bytes to Kestrel's output pipe, not yet to the socket, and Abort() drops what is still
        // there: give the send loop a moment so the client gets what the app did send (PEP 3333: no block may be
        // held back). This path runs only for broken responses.
        await Task.Delay(AbortDrainDelay);
        context.Abort();
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "{Request} ran past --timeout: the client got a 504 page")]
    private partial void LogTimeoutAnswered(string request);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "{Request} ran past --timeout after its response had started: the connection was cut after {Bytes} body bytes")]
    private partial void LogTimeoutCut(string request, long bytes);
}
