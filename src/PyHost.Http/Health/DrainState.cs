namespace PyHost.Http.Health;

/// <summary>
/// Whether PyHost is draining: from SIGTERM/SIGINT on, /_pyhost/ready answers 503 while requests are still taken for
/// <c>[server] drain_delay</c>, so that load balancers (their readiness checks) and Kubernetes (endpoints removal) stop
/// sending new work before the listeners close. The shutdown sequence: <see cref="BeginDrain"/>, wait
/// <see cref="WaitForDelayAsync"/>, then stop listening and let in-flight requests finish (graceful_timeout).
/// </summary>
public sealed class DrainState(TimeSpan drainDelay)
{
    private int _draining;

    public TimeSpan DrainDelay { get; } = drainDelay;

    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>Marks the start of draining; true the first time.</summary>
    public bool BeginDrain() => Interlocked.Exchange(ref _draining, 1) == 0;

    /// <summary>Waits drain_delay (0: returns at once); a second signal cuts it short through <paramref name="cancel"/>.</summary>
    public async Task WaitForDelayAsync(CancellationToken cancel)
    {
        if (DrainDelay <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await Task.Delay(DrainDelay, cancel);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
