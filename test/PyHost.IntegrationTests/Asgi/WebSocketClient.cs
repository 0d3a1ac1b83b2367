using System.Diagnostics;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Asgi;

/// <summary>Runs a scenario of apps/ws_client.py (Debian's python3-websockets as the client) and returns its JSON.</summary>
public static class WebSocketClient
{
    public static async Task<JsonElement> RunAsync(string scenario, string url, params string[] arguments)
    {
        var start = new ProcessStartInfo(Repository.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.AppsDirectory,
        };
        foreach (string argument in new[] { "ws_client.py", scenario, url }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"ws_client.py {scenario} ran past 60 s: {await errors}");
        }
        string text = (await output).Trim();
        Assert.True(text.Length > 0, $"ws_client.py {scenario} printed nothing; stderr:\n{await errors}");
        JsonElement result = JsonDocument.Parse(text.Split('\n')[^1]).RootElement;
        if (result.TryGetProperty("exception", out JsonElement exception))
        {
            Assert.Fail($"ws_client.py {scenario} {url}: {exception.GetString()}\n{await errors}");
        }
        return result;
    }
}

/// <summary>A ws_client.py scenario that runs alongside a test: it prints a first JSON line when its sockets are open,
/// may wait for a line on its stdin, and prints its result last.</summary>
public sealed class RunningWebSocketClient : IAsyncDisposable
{
    private readonly Process process;
    private readonly Task<string> errors;

    private RunningWebSocketClient(Process process)
    {
        this.process = process;
        errors = process.StandardError.ReadToEndAsync();
    }

    public int Pid => process.Id;

    public static RunningWebSocketClient Start(string scenario, string url, params string[] arguments)
    {
        var start = new ProcessStartInfo(Repository.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.AppsDirectory,
        };
        foreach (string argument in new[] { "ws_client.py", scenario, url }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        return new RunningWebSocketClient(Process.Start(start)!);
    }

    /// <summary>The next JSON line it prints, within <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> ReadLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"ws_client.py printed nothing within {timeout.TotalSeconds} s");
        }
        if (line is null)
        {
            await process.WaitForExitAsync();
            Assert.Fail($"ws_client.py ended without a line: {await errors}");
        }
        JsonElement result = JsonDocument.Parse(line).RootElement;
        if (result.TryGetProperty("exception", out JsonElement exception))
        {
            Assert.Fail($"ws_client.py: {exception.GetString()}\n{await errors}");
        }
        return result;
    }

    /// <summary>Lets a scenario that waits on its stdin go on.</summary>
    public async Task ContinueAsync()
    {
        await process.StandardInput.WriteLineAsync();
        await process.StandardInput.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
