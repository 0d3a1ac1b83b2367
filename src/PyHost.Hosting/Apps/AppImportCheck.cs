using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Workers.Dispatch.Buffering;
using PyHost.Workers.Python;

namespace PyHost.Hosting.Apps;

/// <summary>
/// <c>pyhost check --import</c> and gunicorn's <c>--check-config</c>: each app is imported in one worker of its own
/// interpreter, as it will be served, and the worker stops again. Exit 0 when every app imports, else 1 with the
/// traceback (gunicorn's statuses for --check-config).
/// </summary>
public static class AppImportCheck
{
    public static async Task<int> RunAsync(PyHostConfig config, TextWriter output, TextWriter errors)
    {
        using RuntimeDirectory runtime = RuntimeDirectory.Create();
        var buffers = new BufferBudget(new BufferLimits { Directory = runtime.Path }, NullLogger.Instance);
        using ILoggerFactory quiet = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.None));
        int status = 0;
        foreach (AppConfig app in config.Apps)
        {
            AppHost host;
            try
            {
                host = AppHost.Create(app with { Workers = 1, WorkersMax = null, Reload = false }, config.Server, config.Provenance,
                    runtime, buffers, quiet, output: null, NullLogger.Instance);
            }
            catch (AppConfigurationException ex)
            {
                errors.WriteLine($"app {app.Name}: {ex.Message}");
                status = 1;
                continue;
            }
            await using (host)
            {
                int booted = await host.StartAsync();
                if (booted == 0)
                {
                    output.WriteLine($"app {app.Name}: imports {host.Options.App} with {host.Options.Python}");
                }
                else
                {
                    errors.WriteLine($"app {app.Name}: {host.Options.App} does not import:\n{host.Arbiter.BootFailure}");
                    status = 1;
                }
                await host.StopAsync(TimeSpan.FromSeconds(2));
            }
        }
        return status;
    }
}
