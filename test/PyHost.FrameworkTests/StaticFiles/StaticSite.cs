namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>
/// A pyhost with two static mounts over a directory of assets, next to a directory that must stay out of reach, and
/// an app that logs every request it gets, so a test can tell that the static ones never reached a worker.
/// <code>
/// site/                       --static /static=site
///   site.css app.js logo.svg data.json page.html font.woff2 notes.unknownext big.bin empty.txt
///   with space.txt  café.txt
///   sub/inner.txt             --static /static/deep/=site/sub (the longer prefix wins)
///   link-inside -> sub/inner.txt
///   link-outside -> ../outside/secret.txt
///   dir-link-outside -> ../outside
/// outside/secret.txt
/// </code>
/// </summary>
public sealed class StaticSite : IAsyncLifetime
{
    public const string Secret = "the contents of a file outside the static directory";

    private PyHostServer? server;

    public string Root { get; } = Directory.CreateTempSubdirectory("pyhost-static-").FullName;

    public string SiteDirectory => Path.Combine(Root, "site");

    public string RequestLog => Path.Combine(Root, "requests.log");

    public string AccessLog => Path.Combine(Root, "access.log");

    public PyHostServer Server => server ?? throw new InvalidOperationException("The server has not started.");

    public byte[] BigFile { get; } = new byte[256 * 1024];

    public async Task InitializeAsync()
    {
        new Random(11).NextBytes(BigFile);
        Directory.CreateDirectory(Path.Combine(SiteDirectory, "sub"));
        Directory.CreateDirectory(Path.Combine(Root, "outside"));
        File.WriteAllText(Path.Combine(Root, "outside", "secret.txt"), Secret);
        File.WriteAllText(RequestLog, "");
        foreach (string name in new[] { "site.css", "app.js", "logo.svg", "data.json", "page.html", "font.woff2", "notes.unknownext", "with space.txt", "café.txt" })
        {
            File.WriteAllText(Path.Combine(SiteDirectory, name), $"contents of {name}\n");
        }
        File.WriteAllBytes(Path.Combine(SiteDirectory, "big.bin"), BigFile);
        File.WriteAllText(Path.Combine(SiteDirectory, "empty.txt"), "");
        File.WriteAllText(Path.Combine(SiteDirectory, "sub", "inner.txt"), "inner\n");
        File.CreateSymbolicLink(Path.Combine(SiteDirectory, "link-inside"), "sub/inner.txt");
        File.CreateSymbolicLink(Path.Combine(SiteDirectory, "link-outside"), "../outside/secret.txt");
        Directory.CreateSymbolicLink(Path.Combine(SiteDirectory, "dir-link-outside"), "../outside");

        server = await PyHostServer.StartAsync("request_log", [
            "--chdir", Path.Combine(AppContext.BaseDirectory, "apps"),
            "-w", "1",
            "-e", $"REQUEST_LOG={RequestLog}",
            "--access-logfile", AccessLog,
            "--static", $"/static={SiteDirectory}",
            "--static", $"/static/deep/={Path.Combine(SiteDirectory, "sub")}",
        ]);
    }

    /// <summary>The paths the app was asked for so far.</summary>
    public IReadOnlyList<string> RequestsThatReachedTheApp() => File.ReadAllLines(RequestLog);

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
        Directory.Delete(Root, recursive: true);
    }
}
