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

    public string WorkerSocketPath => System.IO.Path.Combine(Path, "workers.sock");

    public static RuntimeDirectory Create()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string parent = !string.IsNullOrEmpty(xdg) && Directory.Exists(xdg) ? xdg : System.IO.Path.GetTempPath();
        string path = System.IO.Path.Combine(parent, $"pyhost-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(path, OwnerOnly);
        var directory = new RuntimeDirectory(path);
        directory.WritePythonPackage();
        return directory;
    }

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
