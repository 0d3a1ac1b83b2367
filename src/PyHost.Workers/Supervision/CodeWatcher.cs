using Microsoft.Extensions.Logging;

namespace PyHost.Workers.Supervision;

/// <summary>
/// --reload, for development: a change to a .py file under the app directory (or to a --reload-extra-file) reloads
/// the workers. Editors save in bursts (temp file, rename, chmod), so changes are gathered for a short quiet period
/// and become one reload. A change that breaks the import is an abandoned reload: the old workers keep serving and
/// the traceback is logged.
/// </summary>
public sealed partial class CodeWatcher : IDisposable
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private readonly List<FileSystemWatcher> _watchers = new();
    private readonly Func<string, Task<string>> _reload;
    private readonly ILogger _logger;
    private readonly Timer _debounce;
    private readonly object _gate = new();
    private string? _firstChange;

    public CodeWatcher(string appDirectory, IEnumerable<string> extraFiles, Func<string, Task<string>> reload, ILogger logger)
    {
        _reload = reload;
        _logger = logger;
        _debounce = new Timer(_ => Fire());

        var tree = new FileSystemWatcher(appDirectory, "*.py")
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
        };
        Watch(tree);
        foreach (string file in extraFiles.Select(Path.GetFullPath))
        {
            Watch(new FileSystemWatcher(Path.GetDirectoryName(file)!, Path.GetFileName(file))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            });
        }
    }

    private void Watch(FileSystemWatcher watcher)
    {
        watcher.Changed += (_, change) => Changed(change.FullPath);
        watcher.Created += (_, change) => Changed(change.FullPath);
        watcher.Deleted += (_, change) => Changed(change.FullPath);
        watcher.Renamed += (_, change) => Changed(change.FullPath);
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
    }

    private void Changed(string path)
    {
        if (path.Contains($"{Path.DirectorySeparatorChar}__pycache__{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        {
            return;
        }
        lock (_gate)
        {
            _firstChange ??= path;
            _debounce.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        string? path;
        lock (_gate)
        {
            path = _firstChange;
            _firstChange = null;
        }
        if (path is not null)
        {
            LogChanged(path);
            _ = _reload($"{path} changed");
        }
    }

    public void Dispose()
    {
        _debounce.Dispose();
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "{Path} changed: reloading the workers (--reload)")]
    private partial void LogChanged(string path);
}
