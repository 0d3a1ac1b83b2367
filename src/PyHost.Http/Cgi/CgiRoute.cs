using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using PyHost.Gateways.Cgi;
using PyHost.Workers.Dispatch;

namespace PyHost.Http.Cgi;

/// <summary>
/// Answers requests under the <c>--cgi</c> mounts by running the script they name (RFC 3875): one process per
/// request, no worker. A local redirect (§6.2.2) is served as a new GET of its path through the whole front, so it
/// may land on another script, a static file or the app, as in Apache.
/// </summary>
public sealed partial class CgiRoute
{
    /// <summary>Apache's LimitInternalRecursion: local redirects that lead to more local redirects end here.</summary>
    private const int MaxLocalRedirects = 10;

    private readonly CgiMount[] _mounts;
    private readonly CgiRunner _runner;
    private readonly DispatchPolicy _policy;
    private readonly string _serverSoftware;
    private readonly ILogger _logger;

    public CgiRoute(IEnumerable<CgiMount> mounts, CgiRunner runner, DispatchPolicy policy, string serverSoftware, ILogger logger)
    {
        _mounts = mounts.OrderByDescending(mount => mount.UrlPrefix.Length).ToArray();
        _runner = runner;
        _policy = policy;
        _serverSoftware = serverSoftware;
        _logger = logger;
    }

    /// <summary>The route for the front's <c>--cgi</c> mounts; null when there are none.</summary>
    public static CgiRoute? Create(HttpFrontOptions options, ILoggerFactory loggers, ILogger startup)
    {
        if (options.CgiMounts.Count == 0)
        {
            return null;
        }
        foreach (CgiMount mount in options.CgiMounts)
        {
            LogMount(startup, mount.UrlPrefix, mount.Directory, mount.Extensions.Count == 0 ? "every executable" : string.Join(", ", mount.Extensions));
        }
        string software = "pyhost/" + (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(CgiRoute).Assembly).GetName().Version?.ToString(3);
        return new CgiRoute(options.CgiMounts, new CgiRunner(options.Cgi, loggers.CreateLogger<CgiRunner>()), options.Dispatch, software,
            loggers.CreateLogger("pyhost.cgi"));
    }

    public (CgiMount Mount, string PathBelow)? Match(HttpContext context)
    {
        string rawPath = RequestTarget.RawPath(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
        foreach (CgiMount mount in _mounts)
        {
            if (mount.PathBelow(rawPath) is { } below)
            {
                return (mount, below);
            }
        }
        return null;
    }

    /// <summary>
    /// Runs the script and answers; returns the body bytes sent, or null when a local redirect handed the request to
    /// <paramref name="serveAgain"/>, which answers (and logs) it.
    /// </summary>
    public async Task<long?> ServeAsync(HttpContext context, CgiMount mount, string pathBelow, Func<HttpContext, Task> serveAgain)
    {
        (CgiScript? script, int status, string? refusal) = CgiScript.Find(mount, pathBelow);
        if (script is null)
        {
            return await WritePageAsync(context, status, refusal!);
        }
        if (context.Request.ContentLength > _policy.MaxRequestBodySize)
        {
            context.Response.Headers.Connection = "close";
            return await WritePageAsync(context, 413, "The request body is larger than this server accepts.");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = _policy.MaxRequestBodySize;   // a chunked body over the limit fails while it is read
        }
        var invocation = new CgiInvocation(script.FilePath, CgiMetaVariables.For(context, mount, script, _serverSoftware))
        {
            RequestBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0 ? context.Request.Body : null,
        };
        var sink = new HttpCgiSink(context);
        CgiResult result = await _runner.RunAsync(invocation, sink, context.RequestAborted);
        switch (result.Outcome)
        {
            case CgiOutcome.Completed:
                return sink.BodyBytesSent;
            case CgiOutcome.LocalRedirect:
                return await RedirectAsync(context, result.LocalRedirect!, serveAgain);
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
