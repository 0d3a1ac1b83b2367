using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Gateways;
using PyHost.Http.Gateways.Mongrel2;

namespace PyHost.Hosting;

/// <summary>
/// <c>[server] mongrel2</c> (<c>--mongrel2</c>): PyHost as the handler of Mongrel2 servers, its requests through the
/// same route table and dispatch core as HTTP's. A reload starts the handlers it adds and stops the ones it removes.
/// </summary>
public sealed partial class ServerHost
{
    private readonly Dictionary<string, Mongrel2Handler> _mongrel2 = new(StringComparer.Ordinal);

    private async Task ReconcileMongrel2Async(ServerConfig server)
    {
        foreach (string gone in _mongrel2.Keys.Except(server.Mongrel2, StringComparer.Ordinal).ToList())
        {
            await _mongrel2[gone].StopAsync(CancellationToken.None);
            _mongrel2[gone].Dispose();
            _mongrel2.Remove(gone);
            LogMongrel2Stopped(gone);
        }
        foreach (string added in server.Mongrel2.Except(_mongrel2.Keys, StringComparer.Ordinal))
        {
            if (!Mongrel2Endpoints.TryParse(added, out Mongrel2Endpoints? endpoints, out string? error))
            {
                throw new Front.ServerConfigurationException($"mongrel2 {error}");
            }
            var gateways = new GatewayListeners(Front, new HttpLimits(), _context.AccessLog);
            Mongrel2Handler handler = gateways.Mongrel2(endpoints, _context.Loggers);
            await handler.StartAsync(CancellationToken.None);
            _mongrel2[added] = handler;
        }
    }

    private async Task StopMongrel2Async()
    {
        foreach (Mongrel2Handler handler in _mongrel2.Values)
        {
            await handler.StopAsync(CancellationToken.None);
            handler.Dispose();
        }
        _mongrel2.Clear();
    }

    [LoggerMessage(EventId = 706, Level = LogLevel.Information, Message = "Mongrel2 handler for {Endpoints} stopped (removed from the configuration)")]
    private partial void LogMongrel2Stopped(string endpoints);
}
