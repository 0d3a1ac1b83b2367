using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PyHost.Http.Compression;
using PyHost.Http.Observability;
using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

/// <summary>
/// Where an HTTP request enters: Kestrel on every bind, HTTP/1.1 and HTTP/2 (prior-knowledge h2c on cleartext), each
/// request turned into one <see cref="WorkerPool.DispatchAsync"/>, except those under a <c>--static</c> mount, which
/// <see cref="StaticFileRoute"/> answers itself.
/// </summary>
public sealed partial class HttpFront
{
    private static readonly TimeSpan AbortDrainDelay = TimeSpan.FromMilliseconds(50);

    private readonly WorkerPool _pool;
    private readonly DispatchPolicy _policy;
    private readonly string _appName;
    private readonly StaticFileRoute? _staticFiles;
    private readonly IReadOnlyList<ErrorPageFile> _errorPageFiles;
    private readonly ILogger _logger;
    private readonly HttpFrontOptions _options;

    private HttpFront(HttpFrontOptions options, WorkerPool pool, StaticFileRoute? staticFiles, ILogger logger)
    {
        _options = options;
        _pool = pool;
        _policy = options.Dispatch;
        _appName = options.AppName;
        _staticFiles = staticFiles;
        _errorPageFiles = options.ErrorPageFiles;
        _logger = logger;
    }

    public static WebApplication Build(HttpFrontOptions options, WorkerPool pool, AccessLog? accessLog, ILoggerProvider logging, LogLevel minimumLevel)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(minimumLevel);
        // Kestrel's own per-connection chatter (bad requests, resets) is for debugging, not for the error log.
        builder.Logging.AddFilter("Microsoft", minimumLevel > LogLevel.Warning ? minimumLevel : LogLevel.Warning);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.GracefulTimeout);
        // Run socket continuations on the thread that saw the socket ready instead of queueing them to the thread
        // pool: a request then crosses no thread between the client socket and the worker channel. Safe because
        // nothing on this path blocks; it halves the front's CPU per request on small machines.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // WSGI has no body limit of its own; gunicorn sets none either. A limit flag comes with the web tier.
            kestrel.Limits.MaxRequestBodySize = null;
            // PEP 3333 native strings are latin-1: every header byte reaches the app as one code point.
            kestrel.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
            kestrel.ResponseHeaderEncodingSelector = _ => Encoding.Latin1;
            ApplyLimits(kestrel, options.Limits);
            var connectionMiddleware = ConnectionMiddleware(options, kestrel.ApplicationServices);
            ListenAll(kestrel, options, listen => Protocols(listen, connectionMiddleware));
        });
        ConfigureOperations(builder, options);

        WebApplication app = builder.Build();
        if (!CleartextHttp2Detection.IsAvailable)
        {
            app.Logger.LogWarning("This Kestrel version offers no per-connection protocol choice: cleartext binds serve HTTP/1.1 only");
        }
        foreach (StaticMount mount in options.StaticMounts)
        {
            app.Logger.LogInformation("Static files: {Prefix}/ from {Directory}, answered without a worker", mount.UrlPrefix, mount.Directory);
        }
        var front = new HttpFront(options, pool, options.StaticMounts.Count > 0 ? new StaticFileRoute(options.StaticMounts) : null,
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("pyhost.front"));
        // Outermost: the request's id, span, metrics and access log line cover everything inside, compression too.
        app.Use(new RequestObserver(accessLog, options.Statistics, options.ForwardedAllowIps).InvokeAsync);
        if (options.Compression is { } compression)
        {
            app.Logger.LogInformation("Compression: {Codings} for responses of {MinimumLength} bytes or more", string.Join(", ", compression.Codings.Select(c => c.Token())), compression.MinimumLength);
            app.Use(new ResponseCompressionMiddleware(compression).InvokeAsync);
        }
        app.Run(front.HandleAsync);
        return app;
    }

    /// <summary>The addresses Kestrel really listens on (port 0 resolved), as URLs to print.</summary>
    public static IEnumerable<string> ListeningUrls(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];

    private static void Protocols(ListenOptions listen, List<Func<ConnectionDelegate, ConnectionDelegate>> connectionMiddleware)
    {
        connectionMiddleware.ForEach(middleware => listen.Use(middleware));
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        if (CleartextHttp2Detection.IsAvailable)
        {
            CleartextHttp2Detection.Use(listen);
        }
    }

    private static void Listen(KestrelServerOptions kestrel, BindAddress bind, Action<ListenOptions> protocols)
    {
        if (bind.UnixSocketPath is { } path)
        {
            RemoveStaleSocket(path);
            kestrel.ListenUnixSocket(path, protocols);
        }
        else if (bind.IsLocalhost)
        {
            kestrel.ListenLocalhost(bind.Port, protocols);
        }
        else
        {
            kestrel.Listen(bind.Address!, bind.Port, protocols);
        }
    }

    /// <summary>A socket file left by a server that died is removed; one that still answers is left alone.</summary>
    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (await AnsweredAtTheDoorAsync(context))
        {
            return;
        }
        RequestRecord? record = RequestRecord.Of(context);
        if (_staticFiles?.Match(context) is var (mount, pathBelow))
        {
            long sent = await _staticFiles.ServeAsync(context, mount, pathBelow);
            record?.Served(null, mount.UrlPrefix, sent, 0);
            return;
        }
        var exchange = new HttpWorkerExchange(context);
        DispatchOutcome outcome = await _pool.DispatchAsync(exchange, _policy);
        if (outcome != DispatchOutcome.Completed)
        {
            await AnswerFailureAsync(context, exchange, outcome);
        }
        record?.Served(_appName, "/", exchange.BodyBytesSent, exchange.BodyBytesReceived);
    }

    private async Task AnswerFailureAsync(HttpContext context, HttpWorkerExchange exchange, DispatchOutcome outcome)
    {
        if (outcome == DispatchOutcome.ClientGone)
        {
            context.Abort();
            return;
        }
        if (outcome == DispatchOutcome.RequestBodyFailed)
        {
            // A malformed, oversized or too slow body gets the status Kestrel gave it; a client that left gets nothing.
            if (exchange.BodyError is Microsoft.AspNetCore.Http.BadHttpRequestException bad && !context.RequestAborted.IsCancellationRequested)
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
            if (ErrorPageFile.For(_errorPageFiles, outcome.ErrorStatusCode()) is not { } page || await page.TryWriteAsync(context, outcome.ErrorStatusCode()) is null)
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
