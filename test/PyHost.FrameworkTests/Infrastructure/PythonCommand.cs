using System.Diagnostics;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>Runs /usr/bin/python3 to prepare an example (manage.py migrate, python -m venv) and fails with its output.</summary>
public static class PythonCommand
{
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Repository.Python)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        using Process python = Process.Start(startInfo)!;
        Task<string> standardOutput = python.StandardOutput.ReadToEndAsync();
        Task<string> standardError = python.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await python.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            python.Kill(entireProcessTree: true);
            throw new TimeoutException($"python3 {string.Join(' ', startInfo.ArgumentList)} ran past 2 minutes.");
        }
        string output = await standardOutput + await standardError;
        if (python.ExitCode != 0)
        {
            throw new InvalidOperationException($"python3 {string.Join(' ', startInfo.ArgumentList)} exited with {python.ExitCode}:\n{output}");
        }
        return output;
    }
}
