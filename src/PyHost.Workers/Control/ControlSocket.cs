using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Workers.Supervision;

namespace PyHost.Workers.Control;

/// <summary>
/// The server's control socket (mode 0600, so only its owner can use it): `pyhost reload` and `pyhost scale N`
/// send one line, the server answers one line. The commands are the signals' twins (SIGHUP, SIGTTIN, SIGTTOU) for
/// when the caller knows the socket rather than the pid, and they answer whether it worked.
/// </summary>
public sealed partial class ControlSocket : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IControlTarget _target;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;

    /// <summary>Where a server puts its control socket: beside its pid file (site.pid → site.control.sock) when it has
    /// one, so scripts find it; else in its private runtime directory.</summary>
    public static string PathFor(string? pidFile, string runtimeDirectory) =>
        pidFile is null
            ? System.IO.Path.Combine(runtimeDirectory, "control.sock")
            : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(pidFile))!, System.IO.Path.GetFileNameWithoutExtension(pidFile) + ".control.sock");

    public ControlSocket(string path, IControlTarget target, ILogger logger)
    {
        Path = path;
        _target = target;
        _logger = logger;
        if (File.Exists(path))
        {
            File.Delete(path);   // a socket left by a server that was killed
        }
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(16);
        _identity = Posix.LibC.IdentityOf(path);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private readonly Posix.FileIdentity? _identity;

    public string Path { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        await using (var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            try
            {
                string? line = await reader.ReadLineAsync(_stopping.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                string answer = await ExecuteAsync(line?.Trim() ?? "");
                LogCommand(line ?? "", answer.Split('\n')[0]);
                await writer.WriteLineAsync(answer.Replace("\n", "\\n"));
                await writer.FlushAsync();
            }
            catch (Exception ex) when (ex is IOException or TimeoutException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Runs one command line; the answer starts with "ok" or "error".</summary>
    public async Task<string> ExecuteAsync(string command)
    {
        string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (words)
        {
            case ["reload"]:
                return await _target.ReloadAsync("pyhost reload");
            case ["scale", var count, ..] when int.TryParse(count, out int workers) && workers >= 1:
                return await _target.ScaleAsync(AppOf(words), 0, workers);
            case ["scale", "+1", ..] or ["ttin", ..]:
                return await _target.ScaleAsync(AppOf(words), +1, null);
            case ["scale", "-1", ..] or ["ttou", ..]:
                return await _target.ScaleAsync(AppOf(words), -1, null);
            default:
                return $"error: unknown command '{command}'; the commands are: reload, scale N [APP]";
        }
    }

    /// <summary>"scale 4 blog": the app named after the count, if any.</summary>
    private static string? AppOf(string[] words) => words.Length > 2 ? words[2] : words[0] is "ttin" or "ttou" && words.Length > 1 ? words[1] : null;

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        // Only the socket this server made: after a binary upgrade (SIGUSR2) the path is the new server's.
        if (_identity is not null && Posix.LibC.IdentityOf(Path) == _identity)
        {
            try
            {
                File.Delete(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Control command '{Command}': {Answer}")]
    private partial void LogCommand(string command, string answer);
}
