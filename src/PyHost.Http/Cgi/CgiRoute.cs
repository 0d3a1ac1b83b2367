using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using PyHost.Gateways.Cgi;
using PyHost.Http.Routing;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Cgi;

/// <summary>
/// Answers the requests of <c>cgi</c> routes (and <c>--cgi</c>) by running the script they name (RFC 3875): one
/// process per request, no worker. A local redirect (§6.2.2) is served as a new GET of its path through the whole
/// front, so it may land on another script, a static file or an app, as in Apache. One for the server; each route
/// brings its mount, its runner (the app's user and timeout) and its body limit (<see cref="CgiEndpoint"/>).
/// </summary>
public sealed partial class CgiRoute(ILoggerFactory loggers)
{
    /// <summary>Apache's LimitInternalRecursion: local redirects that lead to more local redirects end here.</summary>
    private const int MaxLocalRedirects = 10;

    private static readonly string ServerSoftware =
        "pyhost/" + (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(CgiRoute).Assembly).GetName().Version?.ToString(3);

    private readonly ILogger _logger = loggers.CreateLogger("pyhost.cgi");

    /// <summary>The endpoint of one cgi route; says at start-up what it serves.</summary>
    public CgiEndpoint Endpoint(CgiMount mount, CgiRunnerOptions options, DispatchPolicy policy)
    {
        LogMount(_logger, mount.UrlPrefix, mount.Script ?? mount.Directory, mount.Extensions.Count == 0 ? "every executable" : string.Join(", ", mount.Extensions));
        return new CgiEndpoint(this, mount, new CgiRunner(options, loggers.CreateLogger<CgiRunner>()), policy);
    }

    /// <summary>
    /// Runs the script and answers; returns the body bytes sent, or null when a local redirect handed the request to
    /// <paramref name="serveAgain"/>, which answers (and logs) it.
    /// </summary>
    public async Task<long?> ServeAsync(HttpContext context, CgiEndpoint endpoint, Func<HttpContext, Task> serveAgain)
    {
        CgiMount mount = endpoint.Mount;
        DispatchPolicy policy = endpoint.Policy;
        string pathBelow = mount.PathBelow(RequestTarget.RawPath(context.Features.Get<IHttpRequestFeature>()!.RawTarget)) ?? "";
        (CgiScript? script, int status, string? refusal) = CgiScript.Find(mount, pathBelow);
        if (script is null)
        {
            return await WritePageAsync(context, status, refusal!);
        }
        if (!RequestBodyLimit.Admits(context, policy.MaxRequestBodySize))
        {
            context.Response.Headers.Connection = "close";
            return await WritePageAsync(context, 413, "The request body is larger than this server accepts.");
        }
        var invocation = new CgiInvocation(script.FilePath, CgiMetaVariables.For(context, mount, script, ServerSoftware))
        {
            RequestBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0 ? context.Request.Body : null,
        };
        var sink = new HttpCgiSink(context);
        CgiResult result = await endpoint.Runner.RunAsync(invocation, sink, context.RequestAborted);
        switch (result.Outcome)
        {
            case CgiOutcome.Completed:
                return sink.BodyBytesSent;
            case CgiOutcome.LocalRedirect:
                return await RedirectAsync(context, result.LocalRedirect!, serveAgain);
            case CgiOutcome.ClientGone when result.RequestBodyError is BadHttpRequestException bad && !result.ResponseStarted
                                           && !context.RequestAborted.IsCancellationRequested:
                // The body broke the rules (over max_body_size while it streamed, cut short, too slow), and the client
                // is there to be told, as app and proxy routes tell it.
                context.Response.Headers.Connection = "close";
                return await WritePageAsync(context, bad.StatusCode, "The request body could not be read.");
            case CgiOutcome.ClientGone:
                context.Abort();
                return sink.BodyBytesSent;
        }
        if (result.ResponseStarted)
        {
            context.Abort();   // a cut response: the status cannot change any more
            return sink.BodyBytesSent;
        }
        return result.Outcome == CgiOutcome.TimedOut
            ? await WritePageAsync(context, 504, "The CGI script did not answer in time.")
            : await WritePageAsync(context, 500, "The CGI script failed; the server log says why.");
    }

    /// <summary>§6.2.2: "the server MUST generate the response that it would have produced in response to a request
    /// containing the URL" — a GET without a body, whatever the first request was.</summary>
    private async Task<long?> RedirectAsync(HttpContext context, string location, Func<HttpContext, Task> serveAgain)
    {
        int depth = context.Items.TryGetValue(nameof(MaxLocalRedirects), out object? seen) ? (int)seen! : 0;
        if (depth >= MaxLocalRedirects)
        {
            LogRedirectLoop(location, MaxLocalRedirects);
            return await WritePageAsync(context, 500, "The CGI script's local redirects do not end.");
        }
        context.Items[nameof(MaxLocalRedirects)] = depth + 1;
        IHttpRequestFeature request = context.Features.Get<IHttpRequestFeature>()!;
        RequestTarget.Split(location, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query);
        request.Method = HttpMethods.Get;
        request.RawTarget = location;
        request.Path = Uri.UnescapeDataString(path.ToString());
        request.QueryString = query.IsEmpty ? "" : "?" + query.ToString();
        context.Request.Headers.ContentLength = null;
        context.Request.Headers.ContentType = default;
        context.Request.Headers.TransferEncoding = default;
        context.Request.Body = Stream.Null;
        context.Features.Set<IHttpRequestBodyDetectionFeature>(NoBody.Instance);
        await serveAgain(context);
        return null;
    }

    private static async Task<long> WritePageAsync(HttpContext context, int status, string explanation)
    {
        await ErrorPages.WriteAsync(context, status, explanation);
        return context.Response.ContentLength ?? 0;
    }

    private sealed class NoBody : IHttpRequestBodyDetectionFeature
    {
        public static readonly NoBody Instance = new();

        public bool CanHaveBody => false;
    }

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "CGI scripts: {Prefix}/ from {Directory} ({Scripts})")]
    private static partial void LogMount(ILogger logger, string prefix, string directory, string scripts);

    [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "CGI local redirect to {Location}: more than {Limit} in a row; answered 500")]
    private partial void LogRedirectLoop(string location, int limit);
}
