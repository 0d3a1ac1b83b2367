namespace PyHost.Configuration.Tests.Schema;

/// <summary>
/// Files in the repository that are generated from the reader's tables. Tests compare them with a fresh
/// generation; PYHOST_REGENERATE=1 makes the test write them instead (a normal test run never changes tracked files).
/// </summary>
internal static class GeneratedFiles
{
    public static void AssertUpToDate(string relativePath, string expected)
    {
        string path = Path.Combine(TestFiles.RepositoryRoot, relativePath);
        if (Environment.GetEnvironmentVariable("PYHOST_REGENERATE") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }
        string committed = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.True(committed == expected,
            $"{relativePath} is not what the reader's tables generate. If the change to the tables is meant, run:\n" +
            "  PYHOST_REGENERATE=1 dotnet test test/PyHost.Configuration.Tests --filter Generated\nand commit the result.\n" +
            $"First difference at character {FirstDifference(committed, expected)}.");
    }

    /// <summary>The text between two markers of a committed file, with the markers' whole file for regeneration.</summary>
    public static void AssertSectionUpToDate(string relativePath, string start, string end, string expected)
    {
        string path = Path.Combine(TestFiles.RepositoryRoot, relativePath);
        string committed = File.ReadAllText(path);
        int from = committed.IndexOf(start, StringComparison.Ordinal);
        int to = committed.IndexOf(end, StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from, $"{relativePath} lacks the markers {start} ... {end}");
        string regenerated = committed[..(from + start.Length)] + "\n" + expected + "\n" + committed[to..];
        AssertUpToDate(relativePath, regenerated);
    }

    private static int FirstDifference(string a, string b)
    {
        int length = Math.Min(a.Length, b.Length);
        for (int i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }
        return length;
    }
}
