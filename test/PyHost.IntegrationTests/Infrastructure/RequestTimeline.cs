using System.Diagnostics;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// A few clients GETting one target, each one request after another until stopped, noting when every request was sent
/// and answered and whether it failed: so a test can tell the failures that came before an event it marked on
/// <see cref="Now"/> from those of requests sent after it.
/// </summary>
public sealed class RequestTimeline
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(TimeSpan Sent, TimeSpan Answered, string? Failure)> _requests = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _clients = Task.CompletedTask;

    private RequestTimeline()
    {
    }

    /// <summary>Time since the start, the clock every request is noted on.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public static RequestTimeline Start(HttpClient client, string target, int clients)
    {
        var timeline = new RequestTimeline();
        timeline._clients = Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => timeline.RequestUntilStoppedAsync(client, target))));
        return timeline;
    }

    /// <summary>Requests sent from <paramref name="from"/> on that succeeded.</summary>
    public int Served(TimeSpan from)
    {
        lock (_requests)
        {
            return _requests.Count(request => request.Sent >= from && request.Failure is null);
        }
    }

    /// <summary>Requests sent in [<paramref name="from"/>, <paramref name="to"/>) that failed, each described with when it
    /// was sent and answered.</summary>
    public IReadOnlyList<string> Failures(TimeSpan from, TimeSpan to)
    {
        lock (_requests)
        {
            return _requests.Where(request => request.Sent >= from && request.Sent < to && request.Failure is not null)
                .Select(request => $"{request.Failure} (sent at {request.Sent.TotalSeconds:0.000} s, answered at {request.Answered.TotalSeconds:0.000} s)")
                .ToList();
        }
    }

    /// <summary>How many failures were answered before <paramref name="time"/>.</summary>
    public int FailedBefore(TimeSpan time)
    {
        lock (_requests)
        {
            return _requests.Count(request => request.Answered < time && request.Failure is not null);
        }
    }

    /// <summary>Whether, within <paramref name="timeout"/>, <paramref name="count"/> requests sent from <paramref name="from"/> on succeeded.</summary>
    public Task<bool> ServedAsync(int count, TimeSpan from, TimeSpan timeout) => Eventually.HoldsAsync(() => Served(from) >= count, timeout);

    /// <summary>Stops the clients; a request they were waiting for is dropped, not counted.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _clients;
    }

    public override string ToString()
    {
        lock (_requests)
        {
            return $"{_requests.Count(request => request.Failure is null)} served, {_requests.Count(request => request.Failure is not null)} failed";
        }
    }

    private async Task RequestUntilStoppedAsync(HttpClient client, string target)
    {
        while (!_stop.IsCancellationRequested)
        {
            TimeSpan sent = Now;
            string? failure;
            try
            {
                using HttpResponseMessage response = await client.GetAsync(target, _stop.Token);
                failure = response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                failure = ex.Message;   // refused, reset, or no answer within the client's timeout
            }
            TimeSpan answered = Now;
            lock (_requests)
            {
                _requests.Add((sent, answered, failure));
            }
        }
    }
}
