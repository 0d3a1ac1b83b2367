namespace PyHost.Workers.Python;

/// <summary>The interpreter PyHost will run workers with, and why that one.</summary>
public sealed record PythonChoice(string Path, string Reason);

/// <summary>
/// Chooses the interpreter like a Python developer expects: <c>--python</c> (or the config file's <c>python</c>), else
/// the active virtualenv ($VIRTUAL_ENV), else <c>./.venv</c> of the app directory, else <c>python3</c> on PATH.
/// </summary>
public static class PythonLocator
{
    /// <param name="givenBy">Where <paramref name="explicitPython"/> was given, as the log says it: "--python",
    /// "pyhost.toml:12", "admin API at $.app.main.python".</param>
    public static PythonChoice Locate(string? explicitPython, string appDirectory, Func<string, string?> getEnvironment, string givenBy = "--python")
    {
        if (!string.IsNullOrEmpty(explicitPython))
        {
            string? found = explicitPython.Contains('/') ? (IsExecutable(explicitPython) ? System.IO.Path.GetFullPath(explicitPython) : null)
                                                         : FindOnPath(explicitPython, getEnvironment("PATH"));
            return found is null
                ? throw new FileNotFoundException(givenBy == "--python"
                    ? $"--python {explicitPython}: no such interpreter"
                    : $"python = \"{explicitPython}\" ({givenBy}): no such interpreter")
                : new PythonChoice(found, $"from {givenBy}");
        }

        string? virtualEnv = getEnvironment("VIRTUAL_ENV");
        if (!string.IsNullOrEmpty(virtualEnv))
        {
            string candidate = System.IO.Path.Combine(virtualEnv, "bin", "python");
            if (IsExecutable(candidate))
            {
                return new PythonChoice(candidate, "from $VIRTUAL_ENV");
            }
        }

        string dotVenv = System.IO.Path.Combine(appDirectory, ".venv", "bin", "python");
        if (IsExecutable(dotVenv))
        {
            return new PythonChoice(dotVenv, "from ./.venv");
        }

        string? onPath = FindOnPath("python3", getEnvironment("PATH"));
        return onPath is null
            ? throw new FileNotFoundException("no Python found: give --python PATH, activate a virtualenv, or put python3 on PATH")
            : new PythonChoice(onPath, "python3 on PATH");
    }

    /// <summary>As the shell judges it: a file with an execute bit (a venv's python is a symlink; it is followed).</summary>
    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static string? FindOnPath(string name, string? path)
    {
        foreach (string directory in (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = System.IO.Path.Combine(directory, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
