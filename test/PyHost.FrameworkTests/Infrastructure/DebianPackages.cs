using System.Diagnostics;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>What is installed, as the compatibility report names it: Debian package versions and Python module versions.</summary>
public static class DebianPackages
{
    /// <summary>The installed version of a Debian package, or null when it is not installed.</summary>
    public static string? InstalledVersion(string package)
    {
        string output = Run("dpkg-query", ["-W", "-f=${Status}|${Version}", package]).Trim();
        string[] parts = output.Split('|');
        return parts.Length == 2 && parts[0].EndsWith("installed", StringComparison.Ordinal) && !parts[0].Contains("not-installed", StringComparison.Ordinal)
            ? parts[1]
            : null;
    }

    /// <summary>The version of a Python distribution as /usr/bin/python3 sees it (importlib.metadata), or null.</summary>
    public static string? PythonDistributionVersion(string distribution)
    {
        string output = Run(Repository.Python, ["-c", $"import importlib.metadata as m\ntry: print(m.version({Quote(distribution)}))\nexcept m.PackageNotFoundError: pass"]);
        return output.Trim() is { Length: > 0 } version ? version : null;
    }

    /// <summary>Whether /usr/bin/python3 can import a module.</summary>
    public static bool CanImport(string module) =>
        Run(Repository.Python, ["-c", $"import importlib.util\nprint(importlib.util.find_spec({Quote(module)}) is not None)"]).Trim() == "True";

    public static string PythonVersion() => Run(Repository.Python, ["-c", "import platform; print(platform.python_version())"]).Trim();

    /// <summary>Debian's release, from /etc/debian_version ("12.12").</summary>
    public static string DebianRelease() => File.Exists("/etc/debian_version") ? File.ReadAllText("/etc/debian_version").Trim() : "unknown";

    private static string Quote(string text) => "'" + text.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private static string Run(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(startInfo)!;
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }
}
