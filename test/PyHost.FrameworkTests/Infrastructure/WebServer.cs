using System.Net;
using System.Text.RegularExpressions;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>A server listening on a 127.0.0.1 port, whichever program it is: what a <see cref="Browser"/> talks to.</summary>
public abstract class WebServer : IAsyncDisposable
{
    /// <summary>As TestProcess.StartTimeout: pyhost's ready line comes once a worker has imported the app.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    protected WebServer(string name, int port)
    {
        Name = name;
        Port = port;
    }

    /// <summary>"pyhost" or "gunicorn", for messages and the compatibility report.</summary>
    public string Name { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The Host header value, and the authority of the absolute URLs the app makes.</summary>
    public string Authority => $"127.0.0.1:{Port}";

    /// <summary>How many lines the server printed so far: a mark to read from, so a test sees only its own lines.</summary>
    public abstract int LineCount { get; }

    public abstract string OutputSince(int lineIndex);

    /// <summary>The command line and everything the server printed, for failure messages.</summary>
    public abstract string Describe();

    public abstract ValueTask DisposeAsync();

    /// <summary>`pyhost serve ARGS` through the integration tests' <see cref="PyHostServer"/> (it adds --python /usr/bin/python3).</summary>
    public static async Task<WebServer> StartPyHostAsync(string workingDirectory, IEnumerable<string> arguments) =>
        new PyHostWebServer(await PyHostServer.StartAsync(app: null, arguments, workingDirectory));

    /// <summary>`pyhost serve ARGS` with environment variables of its own; ARGS choose the interpreter.</summary>
    public static Task<WebServer> StartPyHostAsync(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment) =>
        StartProcessAsync(
            "pyhost",
            Repository.PyHostExecutable,
            port => ["serve", "-b", $"127.0.0.1:{port}", .. arguments],
            port => new Regex(Regex.Escape($"Listening on http://127.0.0.1:{port}") + "$"),
            workingDirectory,
            environment);

    /// <summary>Debian's gunicorn (sync workers) serving ARGS: the reference every framework test compares with.</summary>
    public static Task<WebServer> StartGunicornAsync(string workingDirectory, IEnumerable<string> arguments) =>
        StartProcessAsync(
            "gunicorn",
            Gunicorn.Executable,
            port => ["-b", $"127.0.0.1:{port}", .. arguments],
            // gunicorn listens before its workers import the app; a request would wait in the backlog, but an import
            // error is easier to read as a failed start.
            _ => new Regex(@"Booting worker with pid"),
            workingDirectory,
            new Dictionary<string, string?>());

    private static async Task<WebServer> StartProcessAsync(
        string name,
        string executable,
        Func<int, IEnumerable<string>> arguments,
        Func<int, Regex> readyLine,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment)
    {
        for (int attempt = 1; ; attempt++)
        {
            int port = PyHostServer.FreePort(IPAddress.Loopback);
            TestProcess process = TestProcess.Start(executable, arguments(port), workingDirectory, environment);
            try
            {
                await process.WaitForOutputAsync(readyLine(port), StartTimeout);
                return new ProcessWebServer(name, port, process);
            }
            catch (Exception) when (attempt < 3 && process.HasExited && process.OutputSince(0).Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                await process.DisposeAsync();   // another process took the free port first: try a new one
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    private sealed class PyHostWebServer(PyHostServer server) : WebServer("pyhost", server.Port)
    {
        public override int LineCount => server.Process.LineCount;

        public override string OutputSince(int lineIndex) => server.Process.OutputSince(lineIndex);

        public override string Describe() => server.Process.Describe();

        public override ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private sealed class ProcessWebServer(string name, int port, TestProcess process) : WebServer(name, port)
    {
        public override int LineCount => process.LineCount;

        public override string OutputSince(int lineIndex) => process.OutputSince(lineIndex);

        public override string Describe() => process.Describe();

        public override ValueTask DisposeAsync() => process.DisposeAsync();
    }
}
