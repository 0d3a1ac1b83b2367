using System.CommandLine;
using Microsoft.Extensions.Logging;
using PyHost.Http;

namespace PyHost.Cli;

/// <summary>What `pyhost serve` adds for real frameworks: finding the app, PasteDeploy files, static mounts.</summary>
public static partial class ServeCommand
{
    private static void AddFrameworkOptions(Command command)
    {
    }

    /// <summary>The app spec the workers load, or null after printing why there is none (exit status 2).</summary>
    private static string? ResolveApp(ParseResult parsed, string appDirectory, ILogger log)
    {
        if (parsed.GetValue(App) is { } app)
        {
            return app;
        }
        log.LogInformation("No APP given: serving the built-in demo ({Demo})", DemoApp);
        return DemoApp;
    }

    private static HttpFrontOptions WithFrameworkOptions(ParseResult parsed, HttpFrontOptions options) => options;
}
