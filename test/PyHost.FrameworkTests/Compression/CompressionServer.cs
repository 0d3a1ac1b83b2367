namespace PyHost.FrameworkTests.Compression;

/// <summary>pyhost with --compress in front of compression_app.py, and the directory its event streams wait on.</summary>
public sealed class CompressionServer : IAsyncLifetime
{
    private PyHostServer? _server;

    public string EventsDirectory { get; } = Directory.CreateTempSubdirectory("pyhost-events-").FullName;

    public PyHostServer Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _server = await PyHostServer.StartAsync("compression_app", [
            "--chdir", Path.Combine(AppContext.BaseDirectory, "apps"), "-w", "2", "--threads", "4",
            "-e", $"EVENTS_DIR={EventsDirectory}",
            "--compress", "--compress-level", "gzip=6", "--compress-level", "br=5", "--compress-level", "zstd=3",
        ]);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        Directory.Delete(EventsDirectory, recursive: true);
    }
}
