namespace PyHost.IntegrationTests.Packaging;

/// <summary>
/// Runs a command as on a machine without .NET: in its own mount namespace (unshare(1), in a user namespace so no
/// root is needed) with an empty tmpfs over every .NET installation directory, and with no DOTNET_* variable and no
/// .NET directory on PATH. Hiding PATH and DOTNET_ROOT alone proves nothing: a framework-dependent apphost also looks
/// in the default install location (/usr/share/dotnet), and would still start.
/// </summary>
internal static class NoDotNetSandbox
{
    // Mounts the tmpfs over each directory in $HIDE, checks that no dotnet runs, then becomes the command.
    private const string Script = """
        set -e
        IFS=:
        for dir in $HIDE; do mount -t tmpfs -o size=16k,mode=0755 tmpfs "$dir"; done
        unset IFS HIDE
        if dotnet --version >/dev/null 2>&1; then echo "sandbox: dotnet still runs" >&2; exit 97; fi
        exec "$@"
        """;

    public static string FileName => "unshare";

    public static IEnumerable<string> Arguments(string fileName, IEnumerable<string> arguments) =>
        ["--user", "--map-root-user", "--mount", "/bin/sh", "-c", Script, "sandbox", fileName, .. arguments];

    /// <summary>The environment overrides: PATH without .NET, every DOTNET_ variable removed, the dirs to hide.</summary>
    public static Dictionary<string, string?> Environment(string path)
    {
        var environment = new Dictionary<string, string?>();
        foreach (string name in System.Environment.GetEnvironmentVariables().Keys)
        {
            if (name.StartsWith("DOTNET_", StringComparison.Ordinal))
            {
                environment[name] = null;
            }
        }
        environment["PATH"] = path;
        environment["HIDE"] = string.Join(':', DotNetDirectories());
        return environment;
    }

    /// <summary>Where this machine has .NET: each `dotnet` on PATH (symbolic links followed), DOTNET_ROOT, the
    /// default install locations.</summary>
    private static IEnumerable<string> DotNetDirectories()
    {
        var found = new HashSet<string>();
        foreach (var directory in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = new FileInfo(Path.Combine(directory, "dotnet"));
            if (candidate.Exists)
            {
                var target = candidate.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate.FullName;
                found.Add(Path.GetDirectoryName(target)!);
            }
        }
        var home = System.Environment.GetEnvironmentVariable("HOME");
        found.UnionWith([System.Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? "", "/usr/share/dotnet", "/usr/lib/dotnet",
                         "/opt/dotnet", home is null ? "" : Path.Combine(home, ".dotnet")]);
        // Only real .NET roots (never /usr/bin, should a dotnet binary sit there), plus the install_location config.
        var roots = found.Where(IsDotNetRoot).Select(Path.GetFullPath).ToHashSet();
        if (Directory.Exists("/etc/dotnet"))
        {
            roots.Add("/etc/dotnet");
        }
        return roots;
    }

    private static bool IsDotNetRoot(string directory) =>
        directory.Length > 0 && (Directory.Exists(Path.Combine(directory, "host", "fxr")) || Directory.Exists(Path.Combine(directory, "shared")));
}
