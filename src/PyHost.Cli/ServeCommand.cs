using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PyHost.Http;

namespace PyHost.Cli;

/// <summary>
/// <c>pyhost serve [APP]</c>, with gunicorn's flag names where gunicorn has the flag, so that
/// <c>gunicorn myproject.wsgi:application -w 4 -b 0.0.0.0:8000</c> becomes <c>pyhost serve ...</c> unchanged.
/// </summary>
public static partial class ServeCommand
{
    public const string DemoApp = "pyhost_worker.demo:app";

    private static readonly Argument<string?> App = new("APP")
    {
        Description = "The WSGI app: MODULE:ATTR, MODULE (attribute 'application') or MODULE:FACTORY(ARGS). "
                      + "Default: found in the app directory (manage.py, wsgi.py, app.py, application.py), else a built-in demo.",
        Arity = ArgumentArity.ZeroOrOne,
    };
    private static readonly Option<string[]> Bind = new("--bind", "-b")
    {
        Description = "Address to listen on: HOST:PORT, [IPV6]:PORT or unix:PATH. Repeatable. Default: 127.0.0.1:8000.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<int?> Workers = new("--workers", "-w")
    {
        Description = "Number of worker processes. Default: $WEB_CONCURRENCY, else the number of CPU cores.",
        CustomParser = result => WholeNumber(result),
    };
    private static readonly Option<int> Timeout = new("--timeout", "-t")
    {
        Description = "Seconds a request may run before it gets 504 and its worker is replaced (0 = never).",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 30,
    };
    private static readonly Option<int> GracefulTimeout = new("--graceful-timeout")
    {
        Description = "Seconds in-flight requests may run on after SIGTERM/SIGINT.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 30,
    };
    private static readonly Option<string?> Chdir = new("--chdir") { Description = "Change to this directory before loading the app." };
    private static readonly Option<string?> PythonPathDirs = new("--pythonpath")
    {
        Description = "Comma-separated directories to put first on the Python path.",
    };
    private static readonly Option<string?> Python = new("--python")
    {
        Description = "The Python interpreter. Default: $VIRTUAL_ENV, else ./.venv, else python3 on PATH.",
    };
    private static readonly Option<string?> AccessLogFile = new("--access-logfile")
    {
        Description = "Where to write the access log (combined format); '-' is stdout. Default: none.",
    };
    private static readonly Option<string?> ErrorLogFile = new("--error-logfile", "--log-file")
    {
        Description = "Where to write the error log; '-' is stderr (the default).",
    };
    private static readonly Option<string> LogLevelOption = new("--log-level")
    {
        Description = "debug, info, warning, error or critical.",
        DefaultValueFactory = _ => "info",
    };
    private static readonly Option<string?> PidFile = new("--pid") { Description = "Write the server's process id to this file." };
    private static readonly Option<bool> Debug = new("--debug")
    {
        Description = "Show tracebacks in 500 pages. Never in production.",
    };
    private static readonly Option<string[]> Env = new("--env", "-e")
    {
        Description = "KEY=VALUE for the workers' environment. Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<int> MaxRequests = new("--max-requests")
    {
        Description = "Replace a worker after this many requests (0 = never); its successor is ready first.",
        CustomParser = result => WholeNumber(result) ?? 0,
    };
    private static readonly Option<int> MaxRequestsJitter = new("--max-requests-jitter")
    {
        Description = "Add up to this many to --max-requests, per worker, so they do not all recycle at once.",
        CustomParser = result => WholeNumber(result) ?? 0,
    };
    private static readonly Option<int> MaxWorkerMemory = new("--max-worker-memory")
    {
        Description = "Replace a worker whose resident memory passes this many MiB, after its request (0 = never).",
        CustomParser = result => WholeNumber(result) ?? 0,
    };
    private static readonly Option<int?> WorkersMax = new("--workers-max")
    {
        Description = "Scale between --workers and this many: up when requests wait, down after --idle-timeout.",
        CustomParser = result => WholeNumber(result),
    };
    private static readonly Option<int> IdleTimeout = new("--idle-timeout")
    {
        Description = "With --workers-max: seconds a worker may stay idle before it is retired.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 30,
    };
    private static readonly Option<int> Threads = new("--threads")
    {
        Description = "Requests each worker runs at once, one thread each (wsgi.multithread), for I/O-bound apps.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 1,
    };
    private static readonly Option<string?> User = new("--user", "-u") { Description = "Run the workers as this user." };
    private static readonly Option<string?> Group = new("--group", "-g") { Description = "Run the workers as this group." };
    private static readonly Option<bool> Preload = new("--preload")
    {
        Description = "Import the app once in a fork server and fork the workers from it (shared memory, fast spawns).",
    };
    private static readonly Option<bool> Reload = new("--reload")
    {
        Description = "Development: reload the workers when a .py file under the app directory changes.",
    };
    private static readonly Option<string[]> ReloadExtraFile = new("--reload-extra-file")
    {
        Description = "With --reload: also watch this file (templates, settings). Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Create()
    {
        var command = new Command("serve", "Serve a Python WSGI app.")
        {
            App, Bind, Workers, Timeout, GracefulTimeout, Chdir, PythonPathDirs, Python, AccessLogFile, ErrorLogFile,
            LogLevelOption, PidFile, Debug, Env, MaxRequests, MaxRequestsJitter, MaxWorkerMemory, WorkersMax,
            IdleTimeout, Threads, User, Group, Preload, Reload, ReloadExtraFile,
        };
        command.Validators.Add(result =>
        {
            // An unknown flag would otherwise be taken for the APP argument.
            if (result.GetValue(App) is { } app && app.StartsWith('-'))
            {
                result.AddError($"unrecognized option '{app}'");
            }
            foreach (string bind in result.GetValue(Bind) ?? [])
            {
                if (!BindAddress.TryParse(bind, out _, out string? error))
                {
                    result.AddError($"--bind {error}");
                }
            }
            foreach (string pair in result.GetValue(Env) ?? [])
            {
                if (pair.IndexOf('=') <= 0)
                {
                    result.AddError($"--env '{pair}': expected KEY=VALUE");
                }
            }
            if (ParsedValue(result, Workers) is < 1)
            {
                result.AddError("--workers must be at least 1");
            }
            if (ParsedValue(result, Timeout) < 0 || ParsedValue(result, GracefulTimeout) < 0)
            {
                result.AddError("--timeout and --graceful-timeout take a number of seconds, 0 or more");
            }
            if (ParsedValue(result, Threads) < 1)
            {
                result.AddError("--threads must be at least 1");
            }
            if (ParsedValue(result, WorkersMax) is { } most && most < (ParsedValue(result, Workers) ?? 1))
            {
                result.AddError("--workers-max must be at least --workers");
            }
            // Defaults are not applied yet while validating: an option not given reads as null here.
            if (result.GetValue(LogLevelOption) is { } levelText && ParseLogLevel(levelText) is null)
            {
                result.AddError($"--log-level '{levelText}': use debug, info, warning, error or critical");
            }
            if (result.GetValue(Chdir) is { } chdir && !Directory.Exists(chdir))
            {
                result.AddError($"--chdir '{chdir}': no such directory");
            }
        });
        AddFrameworkOptions(command);
        AddDispatchOptions(command);
        AddHttpOptions(command);
        AddOperationsOptions(command);
        AddObservabilityOptions(command);
        command.SetAction((parsed, _) => RunAsync(parsed));
        return command;
    }

    /// <summary>
    /// An option's value inside a validator, or default when it was not given or did not parse (the parser reports
    /// that error itself; reading the value would throw).
    /// </summary>
    private static T? ParsedValue<T>(System.CommandLine.Parsing.CommandResult result, Option<T> option) where T : struct
    {
        try
        {
            return result.GetResult(option)?.GetValueOrDefault<T>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static T? ParsedValue<T>(System.CommandLine.Parsing.CommandResult result, Option<T?> option) where T : struct
    {
        try
        {
            return result.GetResult(option)?.GetValueOrDefault<T?>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Parses a count or a number of seconds, with an error a person can act on.</summary>
    private static int? WholeNumber(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }
        string name = result.Parent is System.CommandLine.Parsing.OptionResult option ? option.Option.Name : "value";
        result.AddError($"{name} takes a whole number, not '{text}'");
        return null;
    }

    private static LogLevel? ParseLogLevel(string text) => text.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        _ => null,
    };
}
