namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>Where the tests find the binary under test, the Python to give it, and the apps it serves.</summary>
public static class Repository
{
    /// <summary>Every test passes this interpreter: the pyenv python3 first on PATH lacks Debian's packages.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The directory holding Directory.Build.props, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The Python test apps, copied next to the test assembly; servers start with `--chdir` here.</summary>
    public static string AppsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "apps");

    public static string PythonShimDirectory => Path.Combine(Root, "src", "PyHost.Workers", "python");

    /// <summary>$PYHOST_BIN, else artifacts/pyhost under the repository root; a clear failure when neither exists.</summary>
    public static string PyHostExecutable
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("PYHOST_BIN");
            var path = string.IsNullOrEmpty(fromEnvironment) ? Path.Combine(Root, "artifacts", "pyhost") : fromEnvironment;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"The PyHost binary is not at {path}. Build it with `make build` in {Root}, or point PYHOST_BIN at it.", path);
            }
            return path;
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Directory.Build.props above {AppContext.BaseDirectory}: cannot find the repository root.");
    }
}
