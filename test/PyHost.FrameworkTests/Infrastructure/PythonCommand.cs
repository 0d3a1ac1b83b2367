namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>Runs /usr/bin/python3 to prepare an example (manage.py migrate, python -m venv) and fails with its output.</summary>
public static class PythonCommand
{
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using TestProcess python = TestProcess.Start(
            Repository.Python, arguments, workingDirectory, environment?.ToDictionary(variable => variable.Key, string? (variable) => variable.Value));
        int status = await python.WaitForExitAsync(TimeSpan.FromMinutes(2));
        string output = python.OutputSince(0);
        return status == 0 ? output : throw new InvalidOperationException($"{python.CommandLine} exited with {status}:\n{output}");
    }
}
