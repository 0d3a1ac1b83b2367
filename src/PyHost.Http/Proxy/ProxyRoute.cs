using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using PyHost.Http.Observability;
using PyHost.Http.Proxy.Http1;
using PyHost.Http.StaticFiles;
using Yarp.ReverseProxy.Forwarder;

namespace PyHost.Http.Proxy;

/// <summary>
/// A <c>proxy</c> route: sends each request to a server of its upstream, with PyHost's own HTTP/1.1 client
/// (<see cref="Http1Forwarder"/>) for a request without a body or with a small one read ahead
/// (<see cref="BufferedRequestBody"/>) to a plain-HTTP server, with YARP's <see cref="IHttpForwarder"/> for the rest
/// (request and response bodies stream both ways with back-pressure; Upgrade and WebSockets pass through, h2 and TLS
/// to the server), retries an idempotent request whose body is not lost on another server when the connection to one
/// fails, tells the passive health checks how each request went, and answers with the site's 502/503/504 page when no
/// server could (413 for a body over max_body_size, which no server sees).
/// </summary>
public sealed partial class ProxyRoute(Upstream upstream, IHttpForwarder forwarder, string? stripPrefix, bool readBodiesAhead,
    long? maxRequestBodySize, ILogger logger)
{
    private readonly ILogger _logger = logger;

    /// <summary>Whether small bodies are read whole before the request is sent (the route's request_buffering).</summary>
    public bool ReadsBodiesAhead { get; } = readBodiesAhead;

    /// <summary>The largest request body passed on (the route's or site's max_body_size); null for no limit.</summary>
    public long? MaxRequestBodySize { get; } = maxRequestBodySize;

    public Upstream Upstream { get; } = upstream;

    /// <summary>The route prefix taken off the path before it is sent (strip_prefix), or null.</summary>
    public string? StripPrefix { get; } = stripPrefix;

    /// <summary>Forwards the request and returns the response body bytes the client was sent, for the access log.</summary>
    public async Task<long> ServeAsync(HttpContext context, IReadOnlyList<ErrorPageFile> errorPages)
    {
        HttpResponse response = context.Response;
        Stream clientBody = response.Body;
        var counted = new CountingStream(clientBody);
        response.Body = counted;
        try
        {
            await ForwardAsync(context, errorPages);
        }
        finally
        {
            response.Body = clientBody;
        }
        return counted.Written;
    }

    private async Task ForwardAsync(HttpContext context, IReadOnlyList<ErrorPageFile> errorPages)
    {
        HttpRequest request = context.Request;
        // nginx's client_max_body_size holds for proxied locations too: a body over it never reaches a server. What
        // goes through a tunnel (a WebSocket's messages, after Upgrade or an h2 extended CONNECT) is not a body, and is
        // not limited.
        if (!IsTunnel(request) && !RequestBodyLimit.Admits(context, MaxRequestBodySize))
        {
            await AnswerAsync(context, errorPages, StatusCodes.Status413PayloadTooLarge, "The request body is larger than this server accepts.",
                closeConnection: true);   // the body is not read
            return;
        }
        if (!ReadsBodiesAhead || !BufferedRequestBody.Fits(request))
        {
            await ForwardAsync(context, errorPages, body: null);
            return;
        }
        BufferedRequestBody body;
        try
        {
            body = await BufferedRequestBody.ReadAsync(request);
        }
        catch (Exception error) when (error is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The client's body broke off or came too slowly: no server has seen the request. A client still there
            // gets Kestrel's status (400, 408) with a page.
            if (error is BadHttpRequestException bad && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
            {
                await AnswerAsync(context, errorPages, bad.StatusCode, "The request body could not be read.");
            }
            return;
        }
        Stream clientBody = request.Body;
        try
        {
            await ForwardAsync(context, errorPages, body);
        }
        finally
        {
            request.Body = clientBody;
            body.Dispose();
        }
    }

    private async Task ForwardAsync(HttpContext context, IReadOnlyList<ErrorPageFile> errorPages, BufferedRequestBody? body)
    {
        HttpResponse response = context.Response;
        bool replayable = IsReplayable(context.Request, body is not null);
        int attempts = 1 + (replayable ? Upstream.Config.Retries : 0);
        List<UpstreamServer>? tried = null;
        UpstreamServer? server = Upstream.Pick(context, []);
        ForwarderError error = ForwarderError.None;
        Exception? failure = null;
        for (int attempt = 1; server is not null; attempt++)
        {
            server.RequestStarted();
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            bool slotTaken = false;
            try
            {
                if (server.RequestSlots is { } slots)
                {
                    await slots.WaitAsync(context.RequestAborted);
                    slotTaken = true;
                }
                if (server.Http1Pool is { } pool && (body is not null || Http1Forwarder.Handles(context.Request)))
                {
                    (error, failure) = await Http1Forwarder.SendAsync(context, Upstream, server, pool, StripPrefix, body?.Bytes ?? default);
                }
                else
                {
                    if (body is not null)
                    {
                        context.Request.Body = body.OpenRead();   // each attempt reads it from its start
                    }
                    error = await forwarder.SendAsync(context, server.UrlPrefix, server.Invoker, Upstream.RequestConfig,
                        new ProxyRequestTransformer(Upstream, server, StripPrefix));
                    failure = error == ForwarderError.None ? null : context.Features.Get<IForwarderErrorFeature>()?.Exception;
                }
            }
            catch (OperationCanceledException) when (!slotTaken && context.RequestAborted.IsCancellationRequested)
            {
                return;   // the client left while the request waited for a connection to the server
            }
            finally
            {
                if (slotTaken)
                {
                    server.RequestSlots!.Release();
                }
                server.RequestEnded();
            }
            if (error == ForwarderError.None)
            {
                RecordAnswer(server, response.StatusCode);
                ProxyTelemetry.Answered(Upstream, server, response.StatusCode, started);
                return;
            }
            // A body the server broke off is the server's failure even though the client's connection is now aborted
            // too: the forwarder cuts it (the only way to tell the client), and RequestAborted then fires at some point.
            if (IsClientSide(error) || (context.RequestAborted.IsCancellationRequested && error != ForwarderError.ResponseBodyDestination))
            {
                if (response.HasStarted)
                {
                    // The server answered; the client left during the body.
                    ProxyTelemetry.Answered(Upstream, server, response.StatusCode, started);
                }
                // The client went away or sent a broken body: nothing against the server. A client still there gets
                // the status YARP chose (400, 408, 413) with a page.
                if (!response.HasStarted && !context.RequestAborted.IsCancellationRequested && response.StatusCode >= 400)
                {
                    await AnswerAsync(context, errorPages, response.StatusCode, "The request body could not be read.");
                }
                return;
            }
            string reason = ProxyErrors.Describe(failure);
            server.Health.RequestFailed(reason);
            ProxyTelemetry.Failed(Upstream, server, ProxyErrors.IsConnectFailure(failure), error == ForwarderError.RequestTimedOut, started);
            if (!replayable || error != ForwarderError.Request || response.HasStarted || attempt >= attempts)
            {
                break;
            }
            (tried ??= []).Add(server);
            if (Upstream.Pick(context, tried) is not { } next)
            {
                break;
            }
            LogRetried(DescribeRequest(context), Upstream.Name, server.Address.Text, reason, next.Address.Text);
            response.StatusCode = StatusCodes.Status200OK;   // YARP set 502 for the failed attempt
            server = next;
        }

        if (server is null)
        {
            LogNoServer(DescribeRequest(context), Upstream.Name);
            await AnswerAsync(context, errorPages, StatusCodes.Status503ServiceUnavailable, "No upstream server is available right now. Try again in a moment.");
            return;
        }
        string what = ProxyErrors.Describe(failure);
        if (response.HasStarted)
        {
            // YARP has cut the connection: after the head, a broken body is all a client can be told (RFC 9112 §8).
            LogCutOff(DescribeRequest(context), Upstream.Name, server.Address.Text, what);
            return;
        }
        int status = ProxyErrors.IsConnectTimeout(failure) || error == ForwarderError.RequestTimedOut
            ? StatusCodes.Status504GatewayTimeout
            : StatusCodes.Status502BadGateway;
        LogFailed(DescribeRequest(context), Upstream.Name, server.Address.Text, what, status);
        await AnswerAsync(context, errorPages, status, status == StatusCodes.Status504GatewayTimeout
            ? "The upstream server did not answer in time."
            : "The upstream server could not be reached, or failed while answering.");
    }

    private void RecordAnswer(UpstreamServer server, int status)
    {
        if (Upstream.IsUnhealthyStatus(status))
        {
            server.Health.RequestFailed($"answered {status}");
        }
        else
        {
            server.Health.RequestSucceeded();
        }
    }

    private static async Task AnswerAsync(HttpContext context, IReadOnlyList<ErrorPageFile> errorPages, int status, string explanation,
        bool closeConnection = false)
    {
        context.Response.Headers.Clear();
        if (closeConnection)
        {
            context.Response.Headers.Connection = "close";
        }
        if (ErrorPageFile.For(errorPages, status) is not { } page || await page.TryWriteAsync(context, status) is null)
        {
            await ErrorPages.WriteAsync(context, status, explanation);
        }
    }

    /// <summary>
    /// A request may go to a second server when the first could not take it only if sending it twice is harmless
    /// (an idempotent method) and nothing of it is lost (no body, or one read ahead whole).
    /// </summary>
    public static bool IsReplayable(HttpRequest request, bool bodyBuffered) => IsIdempotent(request.Method) && (bodyBuffered || HasNoBody(request));

    /// <summary>Methods whose effect is the same sent once or twice, which a client may send again after a failure
    /// (RFC 9110 §9.2.2).</summary>
    public static bool IsIdempotent(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    /// <summary>An Upgrade or CONNECT request, whose "body" is a tunnel's traffic.</summary>
    internal static bool IsTunnel(HttpRequest request) => HttpMethods.IsConnect(request.Method) || request.Headers.ContainsKey("Upgrade");

    /// <summary>Whether the request has no body: Kestrel says so, or it has neither a length nor a transfer coding.</summary>
    public static bool HasNoBody(HttpRequest request)
    {
        bool? canHaveBody = request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody;
        return canHaveBody == false || (canHaveBody is null && request.ContentLength is null or 0 && !request.Headers.ContainsKey("Transfer-Encoding"));
    }

    /// <summary>Failures the client caused (it left, or its body broke): no fault of the server's.</summary>
    private static bool IsClientSide(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.ResponseBodyCanceled
        or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient or ForwarderError.UpgradeRequestCanceled
        or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeActivityTimeout;

    /// <summary>"GET /path (site blog)": which site's route sent the request to the upstream.</summary>
    private static string DescribeRequest(HttpContext context) => RequestDescription.Of(context.Request.Method,
        ProxyRequestTransformer.Target(context, null), RequestRecord.Of(context)?.Site, app: null);

    [LoggerMessage(EventId = 610, Level = LogLevel.Warning, Message = "{Request}: upstream {Upstream} server {Server}: {Reason}; retrying on {Next}")]
    private partial void LogRetried(string request, string upstream, string server, string reason, string next);

    [LoggerMessage(EventId = 611, Level = LogLevel.Error, Message = "{Request}: upstream {Upstream} server {Server}: {Reason}; the client got {Status}")]
    private partial void LogFailed(string request, string upstream, string server, string reason, int status);

    [LoggerMessage(EventId = 612, Level = LogLevel.Error, Message = "{Request}: upstream {Upstream} has no server available; the client got 503")]
    private partial void LogNoServer(string request, string upstream);

    [LoggerMessage(EventId = 613, Level = LogLevel.Error, Message = "{Request}: upstream {Upstream} server {Server} failed after its response had started ({Reason}): the connection was cut")]
    private partial void LogCutOff(string request, string upstream, string server, string reason);
}
