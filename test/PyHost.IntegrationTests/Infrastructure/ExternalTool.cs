using System.Diagnostics;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>A finished run of a command-line peer (curl, openssl): exit status and what it printed.</summary>
public sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public string All => Output + "\n" + Error;
}

/// <summary>Runs a short-lived command (curl, openssl s_client) to completion, bounded in time, killed if it overruns.</summary>
public static class ExternalTool
{
    public static async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> arguments, string? standardInput = "", TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish in time");
        }
        return new ToolResult(process.ExitCode, await output, await error);
    }
}
