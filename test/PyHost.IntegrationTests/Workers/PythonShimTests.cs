using System.Diagnostics;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Workers;

/// <summary>The Python shim's own unittest suite, run by the real interpreter as part of this suite.</summary>
public sealed class PythonShimTests
{
    [PythonShimTestsFact]
    public async Task PythonShimUnitTestsPass()
    {
        var startInfo = new ProcessStartInfo(Repository.Python)
        {
            WorkingDirectory = Repository.PythonShimDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-m", "unittest", "discover", "-s", "tests" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var python = Process.Start(startInfo)!;
        var standardOutput = python.StandardOutput.ReadToEndAsync();
        var standardError = python.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await python.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            python.Kill(entireProcessTree: true);
            Assert.Fail($"The shim's unittest suite ran past 2 minutes.\n{await standardOutput}\n{await standardError}");
        }

        Assert.True(python.ExitCode == 0, $"python -m unittest exited with {python.ExitCode}:\n{await standardOutput}\n{await standardError}");
    }
}

/// <summary>A fact skipped, with the reason, while the shim has no tests directory.</summary>
public sealed class PythonShimTestsFactAttribute : FactAttribute
{
    public PythonShimTestsFactAttribute()
    {
        if (!Directory.Exists(Path.Combine(Repository.PythonShimDirectory, "tests")))
        {
            Skip = $"No Python shim tests at {Path.Combine(Repository.PythonShimDirectory, "tests")}.";
        }
    }
}
