using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using PyHost.Http;
using PyHost.Workers;

namespace PyHost.Cli;

/// <summary>
/// ASGI: which interface the app speaks, and uvicorn's flags for the event loop, the lifespan and WebSockets, under
/// uvicorn's names, so that <c>uvicorn main:app --ws-max-size 1048576</c> becomes <c>pyhost serve main:app ...</c>.
/// </summary>
public static partial class ServeCommand
{
    private static readonly string[] Interfaces = ["auto", "wsgi", "asgi"];
    private static readonly string[] UvicornInterfaces = ["asgi3", "asgi2"];   // uvicorn's names; the worker wraps ASGI 2 itself
    private static readonly string[] LifespanModes = ["auto", "on", "off"];
    private static readonly string[] Loops = ["auto", "asyncio", "uvloop"];

    private static readonly Option<string> Interface = new("--interface")
    {
        Description = "The app's interface: auto (an ASGI app is a coroutine function of scope, receive, send; else WSGI), wsgi or asgi.",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<string> Lifespan = new("--lifespan")
    {
        Description = "ASGI lifespan events: auto (if the app speaks them), on (a failure stops the boot), off.",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<string> Loop = new("--loop")
    {
        Description = "The ASGI workers' event loop: auto (uvloop when importable), asyncio or uvloop.",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<int> WorkerConnections = new("--worker-connections")
    {
        Description = "Requests one ASGI worker runs at once; more wait in the queue (open WebSockets do not count).",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 1000,
    };
    private static readonly Option<long?> WebSocketMaxSize = new("--ws-max-size")
    {
        Description = "The largest WebSocket message a client may send, in bytes or with k, m or g; larger closes with 1009. Default: 16m.",
        CustomParser = result => ByteSize(result),
    };
    private static readonly Option<double?> WebSocketPingInterval = new("--ws-ping-interval")
    {
        Description = "Seconds between pings on an open WebSocket (0: none). Default: 20.",
        CustomParser = result => Seconds(result),
    };
    private static readonly Option<double?> WebSocketPingTimeout = new("--ws-ping-timeout")
    {
        Description = "Seconds a WebSocket may take to answer a ping before it is closed (0: no limit). Default: 20.",
        CustomParser = result => Seconds(result),
    };
    private static readonly Option<bool?> WebSocketDeflate = new("--ws-per-message-deflate")
    {
        Description = "Compress WebSocket messages (permessage-deflate) when the client offers it: true or false. Default: true.",
    };

    private static void AddAsgiOptions(Command command)
    {
        command.Options.Add(Interface);
        command.Options.Add(Lifespan);
        command.Options.Add(Loop);
        command.Options.Add(WorkerConnections);
        command.Options.Add(WebSocketMaxSize);
        command.Options.Add(WebSocketPingInterval);
        command.Options.Add(WebSocketPingTimeout);
        command.Options.Add(WebSocketDeflate);
        command.Validators.Add(result =>
        {
            CheckChoice(result, Interface, Interfaces, UvicornInterfaces);
            CheckChoice(result, Lifespan, LifespanModes);
            CheckChoice(result, Loop, Loops);
            if (ParsedValue(result, WorkerConnections) < 1)
            {
                result.AddError("--worker-connections must be at least 1");
            }
            if (ParsedValue(result, WebSocketMaxSize) is < 1)
            {
                result.AddError("--ws-max-size must be at least 1 byte");
            }
        });
    }

    private static void CheckChoice(CommandResult result, Option<string> option, string[] choices, string[]? aliases = null)
    {
        // Defaults are not applied yet while validating: an option not given reads as null here.
        if (result.GetValue(option) is { } value && !choices.Contains(value, StringComparer.Ordinal) && !(aliases ?? []).Contains(value, StringComparer.Ordinal))
        {
            result.AddError($"{option.Name} '{value}': use {string.Join(", ", choices[..^1])} or {choices[^1]}");
        }
    }

    private static double? Seconds(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds <= 86400)
        {
            return seconds;
        }
        string name = result.Parent is OptionResult option ? option.Option.Name : "value";
        result.AddError($"{name} takes a number of seconds, not '{text}'");
        return null;
    }

    /// <summary>uvicorn's gunicorn worker classes (uvicorn.workers, and the uvicorn-worker package): an ASGI app.</summary>
    private static bool IsUvicornWorkerClass(string workerClass) => workerClass is
        "uvicorn.workers.UvicornWorker" or "uvicorn.workers.UvicornH11Worker" or "uvicorn_worker.UvicornWorker" or "uvicorn_worker.UvicornH11Worker";

    private static WorkerOptions WithAsgiOptions(ParseResult parsed, WorkerOptions options) => options with
    {
        Interface = IsUvicornWorkerClass(parsed.GetValue(WorkerClass)!) || UvicornInterfaces.Contains(parsed.GetValue(Interface))
            ? "asgi"
            : parsed.GetValue(Interface)!,
        Lifespan = parsed.GetValue(Lifespan)!,
        Loop = parsed.GetValue(Loop)!,
        WorkerConnections = parsed.GetValue(WorkerConnections),
    };

    private static HttpFrontOptions WithAsgiOptions(ParseResult parsed, HttpFrontOptions options)
    {
        HttpWebSocketOptions defaults = HttpWebSocketOptions.Default;
        return options with
        {
            Dispatch = parsed.GetValue(WebSocketMaxSize) is { } maxSize ? options.Dispatch with { MaxWebSocketMessageSize = maxSize } : options.Dispatch,
            WebSockets = new HttpWebSocketOptions
            {
                PingInterval = parsed.GetValue(WebSocketPingInterval) is { } interval ? TimeSpan.FromSeconds(interval) : defaults.PingInterval,
                PingTimeout = parsed.GetValue(WebSocketPingTimeout) is { } timeout ? TimeSpan.FromSeconds(timeout) : defaults.PingTimeout,
                Compression = parsed.GetValue(WebSocketDeflate) ?? defaults.Compression,
            },
        };
    }
}
