namespace PyHost.Configuration.Tests;

/// <summary>A temporary directory per test, deleted afterwards.</summary>
public sealed class TestFiles : IDisposable
{
    public TestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pyhost-config-tests-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string MakeDirectory(string relativePath) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, relativePath)).FullName;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The repository's root, found from the test's output directory.</summary>
    public static string RepositoryRoot
    {
        get
        {
            string? directory = AppContext.BaseDirectory;
            while (directory is not null && !File.Exists(Path.Combine(directory, "PyHost.slnx")))
            {
                directory = Path.GetDirectoryName(directory);
            }
            return directory ?? throw new InvalidOperationException("PyHost.slnx not found above " + AppContext.BaseDirectory);
        }
    }
}
