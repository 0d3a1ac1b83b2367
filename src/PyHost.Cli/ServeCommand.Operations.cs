using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PyHost.Http;
using PyHost.Workers.Posix;
using PyHost.Workers.Python;

namespace PyHost.Cli;

/// <summary>What `pyhost serve` adds for production: the kernel backlog and PyHost's own queue, gunicorn's worker
/// classes, process name, umask, and how many failed boots a worker slot gets.</summary>
public static partial class ServeCommand
{
    private const int DefaultPort = 8000;

    private static readonly Option<int> Backlog = new("--backlog")
    {
        Description = "Connections the kernel queues until PyHost accepts them (listen(2) backlog), as in gunicorn.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 2048,
    };
    private static readonly Option<int> MaxQueuedRequests = new("--max-queued-requests")
    {
        Description = "Requests that may wait for a free worker; beyond that they get 503 at once.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 2048,
    };
    private static readonly Option<string> WorkerClass = new("--worker-class", "-k")
    {
        Description = "gunicorn's worker class: sync, or gthread (with --threads). ASGI classes are not served yet.",
        DefaultValueFactory = _ => "sync",
    };
    private static readonly Option<bool> CaptureOutput = new("--capture-output")
    {
        Description = "Accepted for gunicorn: the app's stdout and stderr always go to the error log.",
    };
    private static readonly Option<string?> ProcessName = new("--name", "-n")
    {
        Description = "Process name of the server and its workers, as ps and top show it (gunicorn's proc_name).",
    };
    private static readonly Option<string?> Umask = new("--umask")
    {
        Description = "Mode mask for the Unix sockets PyHost creates, as in gunicorn (007 or 0o007 octal); they are 0660 without it.",
    };
    private static readonly Option<int> MaxBootFailures = new("--max-boot-failures")
    {
        Description = "Give up a worker slot whose boot fails this many times in a row; with no worker left, exit 3.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 5,
    };

    private static void AddOperationsOptions(Command command)
    {
        foreach (Option option in new Option[] { Backlog, MaxQueuedRequests, WorkerClass, CaptureOutput, ProcessName, Umask, MaxBootFailures })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if (ParsedValue(result, Backlog) < 1)
            {
                result.AddError("--backlog must be at least 1");
            }
            if (ParsedValue(result, MaxQueuedRequests) < 1)
            {
                result.AddError("--max-queued-requests must be at least 1");
            }
            if (ParsedValue(result, MaxBootFailures) < 1)
            {
                result.AddError("--max-boot-failures must be at least 1");
            }
            if (result.GetValue(Umask) is { } umask && ParseUmask(umask) is null)
            {
                result.AddError($"--umask '{umask}': give a mode mask such as 007 or 0o007 (octal), at most 0777");
            }
            if (result.GetValue(ProcessName) is { } name && (name.Length == 0 || name.Contains('/') || name.Any(char.IsControl)))
            {
                result.AddError($"--name '{name}': give a plain name (no '/', no control characters)");
            }
        });
    }

    /// <summary>
    /// -k: gunicorn's sync and gthread workers are what PyHost's workers are (gthread is --threads). An ASGI worker
    /// class (uvicorn's) cannot be honoured until PyHost serves ASGI, and green-thread classes never: one line and
    /// exit status 2, rather than serving the app some other way than asked.
    /// </summary>
    private static string? RefuseWorkerClass(string workerClass)
    {
        string lower = workerClass.ToLowerInvariant();
        if (lower is "sync" or "gthread" or "gunicorn.workers.sync.syncworker" or "gunicorn.workers.gthread.threadworker")
        {
            return null;
        }
        if (lower.Contains("uvicorn") || lower.Contains("asgi") || lower.Contains("aiohttp"))
        {
            return $"pyhost: error: ASGI is not served yet: -k {workerClass} runs an ASGI app, and PyHost serves WSGI apps only for now";
        }
        if (lower.Contains("gevent") || lower.Contains("eventlet") || lower.Contains("tornado"))
        {
            return $"pyhost: error: -k {workerClass}: green-thread workers are not supported; for I/O-bound apps use -k gthread --threads N";
        }
        return $"pyhost: error: -k {workerClass}: unknown worker class; PyHost takes sync and gthread (with --threads)";
    }

    /// <summary>A mask as gunicorn reads it (its auto_int): 0x.. hex, 0o.. or a leading 0 octal (007), else decimal.</summary>
    private static uint? ParseUmask(string text)
    {
        string digits = text.Trim();
        int numberBase = 10;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            (digits, numberBase) = (digits[2..], 16);
        }
        else if (digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            (digits, numberBase) = (digits[2..], 8);
        }
        else if (digits.Length > 1 && digits[0] == '0')
        {
            (digits, numberBase) = (digits[1..], 8);
        }
        if (digits.Length == 0 || !digits.All(char.IsAsciiHexDigit))
        {
            return null;
        }
        try
        {
            uint value = Convert.ToUInt32(digits, numberBase);
            return value <= 0b111_111_111 ? value : null;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>No -b: $PORT (Heroku-style platforms, gunicorn) on every address, else 127.0.0.1:8000. With inherited
    /// sockets (systemd, a binary upgrade) and no -b, those are served and nothing else.</summary>
    private static List<BindAddress> ResolveBinds(ParseResult parsed, bool haveInheritedSockets, ILogger log)
    {
        string[] texts;
        if (parsed.GetValue(Bind) is { Length: > 0 } given)
        {
            texts = given;
        }
        else if (haveInheritedSockets)
        {
            texts = [];
        }
        else if (Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } port)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > 65535)
            {
                throw new Http.Listening.ListenException($"$PORT='{port}' is not a port number (0-65535); unset it or give -b");
            }
            LogPortFromEnvironment(log, number);
            texts = [$"0.0.0.0:{number}"];
        }
        else
        {
            texts = [$"127.0.0.1:{DefaultPort}"];
        }
        return texts.Select(text => BindAddress.TryParse(text, out BindAddress? bind, out _) ? bind : throw new InvalidOperationException(text)).ToList();
    }

    /// <summary>The mode of the Unix sockets PyHost creates: 0660 (the owner, and a web server in the group), or with
    /// --umask, 0666 less the mask, as gunicorn applies its umask to the socket it binds.</summary>
    private static UnixFileMode UnixSocketMode(ParseResult parsed) =>
        parsed.GetValue(Umask) is { } text && ParseUmask(text) is { } mask
            ? (UnixFileMode)(0b110_110_110 & ~mask)
            : (UnixFileMode)0b110_110_000;

    /// <summary>--name: the kernel's process name (comm, 15 bytes) that ps, top and pgrep show. Written through
    /// /proc/self/comm, which names the whole process whichever thread writes it.</summary>
    private static void SetProcessName(string? name)
    {
        if (name is null)
        {
            return;
        }
        try
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(name);
            File.WriteAllBytes("/proc/self/comm", bytes.Length > 15 ? bytes[..15] : bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux's /proc: the name stays pyhost.
        }
    }

    /// <summary>$VIRTUAL_ENV names a virtualenv that is gone (deleted, or moved): say so rather than silently fall
    /// back to another interpreter.</summary>
    private static void WarnAboutStaleVirtualenv(ParseResult parsed, PythonChoice python, ILogger log)
    {
        string? virtualEnv = Environment.GetEnvironmentVariable("VIRTUAL_ENV");
        if (parsed.GetValue(Python) is null && !string.IsNullOrEmpty(virtualEnv) && python.Reason != "from $VIRTUAL_ENV")
        {
            LogStaleVirtualenv(log, virtualEnv, python.Path, python.Reason);
        }
    }

    /// <summary>Runtime directories of PyHost servers that were killed are removed at start (their pid is gone).</summary>
    private static void RemoveStaleRuntimeDirectories(ILogger log)
    {
        foreach (string directory in RuntimeDirectory.RemoveStale(RuntimeDirectory.Parent))
        {
            LogStaleRuntimeDirectory(log, directory);
        }
    }

    /// <summary>Runs a start-up step whose failures are the user's to fix: any of them becomes one line and status 1.</summary>
    private static T StartupStep<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (ex is FileOpenException or Http.Listening.ListenException or PrivilegeException)
        {
            throw new StartupException(ex.Message);
        }
    }

    private static void StartupStep(Action step) => StartupStep(() =>
    {
        step();
        return true;
    });

    /// <summary>SIGUSR1: every log file is opened again by its name (the workers' output goes through the error log).</summary>
    private static void ReopenLogs(Logging.ErrorLog errorLog, AccessLog? accessLog, ILogger log)
    {
        if (errorLog.Reopen() is { } problem)
        {
            LogReopenFailed(log, problem);
        }
        if (accessLog is not null)
        {
            accessLog.ReopenFailed ??= problem => LogReopenFailed(log, problem);
            accessLog.Reopen();
        }
        LogReopened(log);
    }

    private static async Task ReloadForSignalAsync(Workers.Supervision.Arbiter arbiter, Operations.SystemdNotifier notifier, Func<string> summary)
    {
        notifier.Reloading("reloading the workers (SIGHUP)");
        string outcome = await arbiter.ReloadAsync("SIGHUP");
        notifier.Reloaded(outcome.StartsWith("ok", StringComparison.Ordinal) ? summary() : $"reload failed, the old workers serve; {summary()}");
    }

    private static async Task ScaleForSignalAsync(Workers.Supervision.Arbiter arbiter, Operations.SystemdNotifier notifier, int delta, Func<string> summary)
    {
        await arbiter.ScaleAsync(delta);
        notifier.Status(summary());
    }
}

/// <summary>A start-up failure the user can fix (a path, a port, an account): PyHost prints the one line and exits 1.</summary>
public sealed class StartupException(string message) : Exception(message);
