using System.CommandLine;
using System.Net.Sockets;
using System.Text;

namespace PyHost.Cli;

/// <summary>
/// `pyhost reload` and `pyhost scale N`: one line to the running server's control socket, its answer printed.
/// The socket is found by --control, else beside the server's --pid file, else as the only running server's.
/// </summary>
public static class ControlCommands
{
    private const string SocketName = "control.sock";

    private static readonly Option<string?> ControlPath = new("--control") { Description = "The server's control socket." };
    private static readonly Option<string?> PidFile = new("--pid") { Description = "The pid file the server was started with." };

    public static string SocketPathFor(string? pidFile, string runtimeDirectory) => Workers.Control.ControlSocket.PathFor(pidFile, runtimeDirectory);

    public static IEnumerable<Command> Create()
    {
        var reload = new Command("reload", "Replace every worker of a running server with fresh code, dropping no request.")
        {
            ControlPath, PidFile,
        };
        reload.SetAction((parsed, _) => SendAsync(parsed, "reload"));

        var count = new Argument<int>("N") { Description = "The number of workers to run." };
        var app = new Argument<string?>("APP") { Description = "The app of the configuration file to scale (needed when it has several).", Arity = ArgumentArity.ZeroOrOne };
        var scale = new Command("scale", "Set the number of workers of a running server's app.") { count, app, ControlPath, PidFile };
        scale.SetAction((parsed, _) => SendAsync(parsed, $"scale {parsed.GetValue(count)}{(parsed.GetValue(app) is { } name ? " " + name : "")}"));
        return [reload, scale];
    }

    private static async Task<int> SendAsync(ParseResult parsed, string command)
    {
        string? path = parsed.GetValue(ControlPath)
                       ?? (parsed.GetValue(PidFile) is { } pidFile ? SocketPathFor(pidFile, "") : FindTheOnlyServer(out string? why));
        if (path is null)
        {
            return 1;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await using var stream = new NetworkStream(socket);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"));
            using var reader = new StreamReader(stream, Encoding.UTF8);
            // A reload answers once every new worker is ready, which may take as long as the app's import.
            string? answer = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
            answer = answer?.Replace("\\n", "\n") ?? "error: the server closed the connection without answering";
            Console.WriteLine(answer);
            return answer.StartsWith("ok", StringComparison.Ordinal) ? 0 : 1;
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            Console.Error.WriteLine($"pyhost: cannot reach the server's control socket {path}: {ex.Message}");
            return 1;
        }
    }

    private static string? FindTheOnlyServer(out string? why)
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string parent = !string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) ? xdg : Path.GetTempPath();
        List<string> sockets = Directory.EnumerateDirectories(parent, "pyhost-*")
            .Where(IsRunningServer)
            .Select(directory => Path.Combine(directory, SocketName))
            .Where(File.Exists)
            .ToList();
        why = sockets.Count switch
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
