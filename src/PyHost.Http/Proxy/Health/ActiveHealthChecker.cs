using System.Net;
using PyHost.Configuration.Model;

namespace PyHost.Http.Proxy.Health;

/// <summary>
/// Asks every server of an upstream for the check path every interval (HAProxy's <c>option httpchk</c>, Caddy's
/// <c>health_uri</c>): a 2xx or 3xx answer within the timeout passes, anything else fails. Each server is checked on
/// its own connection pool, so a server whose request slots are full is not called down for it.
/// </summary>
public sealed class ActiveHealthChecker : IAsyncDisposable
{
    private const int MaxBodyBytesRead = 64 << 10;

    private readonly HealthCheckConfig _config;
    private readonly IReadOnlyList<(UpstreamServer Server, HttpMessageInvoker Invoker)> _targets;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public ActiveHealthChecker(HealthCheckConfig config, IReadOnlyList<(UpstreamServer Server, HttpMessageInvoker Invoker)> targets, TimeProvider time)
    {
        _config = config;
        _targets = targets;
        _time = time;
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>One round: every server checked at once. Public for tests, which step the checks themselves.</summary>
    public Task CheckAllOnceAsync(CancellationToken cancel) =>
        Task.WhenAll(_targets.Select(target => CheckAsync(target.Server, target.Invoker, cancel)));

    private async Task RunAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            await CheckAllOnceAsync(cancel);
            try
            {
                await Task.Delay(_config.Interval, _time, cancel);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task CheckAsync(UpstreamServer server, HttpMessageInvoker invoker, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_config.Timeout);
        string? failure;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, server.UrlPrefix + _config.Path)
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            request.Headers.UserAgent.ParseAdd("pyhost-health-check");
            using HttpResponseMessage response = await invoker.SendAsync(request, timeout.Token);
            // Read a little of the body so the connection can be reused; a check page is small.
            await using (Stream body = await response.Content.ReadAsStreamAsync(timeout.Token))
            {
                byte[] sink = new byte[4096];
                int total = 0;
                int read;
                while (total < MaxBodyBytesRead && (read = await body.ReadAsync(sink, timeout.Token)) > 0)
                {
                    total += read;
                }
            }
            int status = (int)response.StatusCode;
            failure = status is >= 200 and < 400 ? null : $"health check {_config.Path} answered {status} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            failure = $"health check {_config.Path} not answered within {_config.Timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException error)
        {
            failure = $"health check {_config.Path} failed: {ProxyErrors.Describe(error)}";
        }
        if (failure is null)
        {
            server.Health.CheckPassed();
        }
        else
        {
            server.Health.CheckFailed(failure);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        foreach (var (_, invoker) in _targets)
        {
            invoker.Dispose();
        }
        _stop.Dispose();
    }
}
