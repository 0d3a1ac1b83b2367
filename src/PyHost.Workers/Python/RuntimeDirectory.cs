using System.Reflection;

namespace PyHost.Workers.Python;

/// <summary>
/// The private directory (mode 0700) that holds the worker channel's socket and the <c>pyhost_worker</c> package,
/// written out of this assembly's resources so the single <c>pyhost</c> binary is all a user installs.
/// </summary>
public sealed class RuntimeDirectory : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private RuntimeDirectory(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>The directory to put on the worker's PYTHONPATH.</summary>
    public string PythonPackageRoot => System.IO.Path.Combine(Path, "python");

    public string WorkerSocketPath => WorkerSocketPathFor(null);

    /// <summary>The socket an app's workers connect to: one per app, so each arbiter knows only its own.</summary>
    public string WorkerSocketPathFor(string? appName) =>
        System.IO.Path.Combine(Path, appName is null ? "workers.sock" : $"workers-{appName}.sock");

    /// <summary>Where runtime directories go: $XDG_RUNTIME_DIR when PyHost can write there (not after dropping from
    /// root to another user), else the temporary directory.</summary>
    public static string Parent
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return !string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) && Posix.LibC.IsWritable(xdg) ? xdg : System.IO.Path.GetTempPath();
        }
    }

    public static RuntimeDirectory Create()
    {
        string parent = Parent;
        string path = System.IO.Path.Combine(parent, $"pyhost-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(path, OwnerOnly);
        var directory = new RuntimeDirectory(path);
        directory.WritePythonPackage();
        return directory;
    }

    /// <summary>
    /// Removes the runtime directories of PyHost servers that are gone (SIGKILL, SIGQUIT, a crash): named
    /// pyhost-PID-..., owned by this user, whose PID no longer runs. A directory of a running server is never
    /// touched. Returns the paths removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStale(string parent)
    {
        var removed = new List<string>();
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(parent, "pyhost-*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }
        foreach (string directory in candidates)
        {
            string[] parts = System.IO.Path.GetFileName(directory).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[1], out int pid) || pid <= 0 || Directory.Exists($"/proc/{pid}")
                || !IsOwnedByMe(directory))
            {
                continue;
            }
            try
            {
                Directory.Delete(directory, recursive: true);
                removed.Add(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Someone else's, or in use after all: leave it.
            }
        }
        return removed;
    }

    private static bool IsOwnedByMe(string directory) => Posix.LibC.OwnerOf(directory) == Posix.LibC.GetEffectiveUserId();

    private void WritePythonPackage()
    {
        Assembly assembly = typeof(RuntimeDirectory).Assembly;
        foreach (string name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("pyhost_worker/", StringComparison.Ordinal))
            {
                continue;
            }
            string target = System.IO.Path.Combine(PythonPackageRoot, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            using Stream source = assembly.GetManifestResourceStream(name)!;
            using FileStream file = File.Create(target);
            source.CopyTo(file);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover directory in /tmp is harmless and is cleaned by the system.
        }
    }
}
