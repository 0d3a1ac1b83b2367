using System.CommandLine;
using PyHost.Admin.Client;

namespace PyHost.Cli;

/// <summary>
/// `pyhost reload` and `pyhost scale N`: a request to the running server's admin API, its answer printed. The server
/// is found by --control (its unix socket), --pid (the socket beside the pid file), --admin (a TCP URL, with
/// --admin-token-file), else as the only server running. Exit status 0 when the server says it worked, 1 otherwise.
/// </summary>
public static class ControlCommands
{
    private const string SocketName = "control.sock";

    internal static readonly Option<string?> ControlPath = new("--control") { Description = "The server's control socket (its admin API)." };
    internal static readonly Option<string?> PidFile = new("--pid") { Description = "The pid file the server was started with." };
    internal static readonly Option<string?> AdminUrl = new("--admin") { Description = "The server's admin API over TCP: http://HOST:PORT (needs --admin-token-file)." };
    internal static readonly Option<string?> AdminTokenFile = new("--admin-token-file") { Description = "The file holding the admin API's bearer token." };
    private static readonly Option<string?> AppName = new("--app")
    {
        Description = "Reload only this app of the configuration (fresh code, same settings). Default: the whole server, "
                      + "its configuration read again, as SIGHUP does.",
    };

    public static string SocketPathFor(string? pidFile, string runtimeDirectory) => Admin.AdminOptions.ControlSocketPathFor(pidFile, runtimeDirectory);

    public static IEnumerable<Command> Create()
    {
        var reload = new Command("reload", "Replace every worker of a running server with fresh code, dropping no request.")
        {
            ControlPath, PidFile, AdminUrl, AdminTokenFile, AppName,
        };
        reload.SetAction((parsed, _) => ReloadAsync(parsed));

        var count = new Argument<int>("N") { Description = "The number of workers to run." };
        var app = new Argument<string?>("APP") { Description = "The app of the configuration file to scale (needed when it has several).", Arity = ArgumentArity.ZeroOrOne };
        var scale = new Command("scale", "Set the number of workers of a running server's app.") { count, app, ControlPath, PidFile, AdminUrl, AdminTokenFile };
        scale.SetAction((parsed, _) => ScaleAsync(parsed, parsed.GetValue(count), parsed.GetValue(app)));
        return [reload, scale, TopCommand.Create()];
    }

    private static async Task<int> ReloadAsync(ParseResult parsed)
    {
        // A reload answers once every new worker is ready, which may take as long as the app's import.
        using AdminClient? client = Connect(parsed, TimeSpan.FromMinutes(5));
        if (client is null)
        {
            return 1;
        }
        return await CallAsync(client, async () =>
        {
            AdminReply<Admin.Api.ReloadAnswer> reply = await client.ReloadAsync(parsed.GetValue(AppName), "pyhost reload");
            Console.WriteLine(reply.Value?.Message ?? $"error: {reply.ErrorText}");
            return reply.Value is { Ok: true } ? 0 : 1;
        });
    }

    private static async Task<int> ScaleAsync(ParseResult parsed, int workers, string? app)
    {
        using AdminClient? client = Connect(parsed, TimeSpan.FromSeconds(30));
        if (client is null)
        {
            return 1;
        }
        return await CallAsync(client, async () =>
        {
            AdminReply<Admin.Api.ScaleAnswer> reply = await client.ScaleAsync(app, workers);
            Console.WriteLine(reply.Succeeded ? $"ok: {reply.Value!.Workers} workers" : $"error: {reply.ErrorText}");
            return reply.Succeeded ? 0 : 1;
        });
    }

    internal static async Task<int> CallAsync(AdminClient client, Func<Task<int>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            Console.Error.WriteLine($"pyhost: cannot reach the server's admin API at {client.Where}: {ex.Message}");
            return 1;
        }
    }

    /// <summary>A client for the server the options name; null after printing why there is none.</summary>
    internal static AdminClient? Connect(ParseResult parsed, TimeSpan timeout)
    {
        if (parsed.GetValue(AdminUrl) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine($"pyhost: --admin '{url}': expected a URL such as http://127.0.0.1:9000");
                return null;
            }
            string? token = null;
            if (parsed.GetValue(AdminTokenFile) is { } tokenFile && !Admin.Api.BearerToken.TryRead(tokenFile, out token, out string? error))
            {
                Console.Error.WriteLine($"pyhost: {error}");
                return null;
            }
            return AdminClient.ForUrl(baseUrl, token, timeout);
        }
        string? path = parsed.GetValue(ControlPath)
                       ?? (parsed.GetValue(PidFile) is { } pidFile ? SocketPathFor(pidFile, "") : FindTheOnlyServer());
        return path is null ? null : AdminClient.ForUnixSocket(path, timeout);
    }

    private static string? FindTheOnlyServer()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string parent = !string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) ? xdg : Path.GetTempPath();
        List<string> sockets = Directory.EnumerateDirectories(parent, "pyhost-*")
            .Where(IsRunningServer)
            .Select(directory => Path.Combine(directory, SocketName))
            .Where(File.Exists)
            .ToList();
        string? why = sockets.Count switch
        {
            0 => "no running pyhost server found; give --pid PIDFILE or --control SOCKET",
            1 => null,
            _ => "several pyhost servers are running; name one with --pid or --control:\n  " + string.Join("\n  ", sockets),
        };
        if (why is not null)
        {
            Console.Error.WriteLine($"pyhost: {why}");
        }
        return sockets.Count == 1 ? sockets[0] : null;
    }

    /// <summary>Runtime directories are named pyhost-PID-…: a live PID means a live server.</summary>
    private static bool IsRunningServer(string directory)
    {
        string[] parts = Path.GetFileName(directory).Split('-');
        return parts.Length >= 2 && int.TryParse(parts[1], out int pid) && Directory.Exists($"/proc/{pid}");
    }
}
