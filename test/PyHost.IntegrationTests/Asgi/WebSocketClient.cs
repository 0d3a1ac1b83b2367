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
