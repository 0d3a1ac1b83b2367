using PyHost.Http.Proxy.Health;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Proxy.Health;

public sealed class ServerHealthTests
{
    private sealed class Events : IHealthObserver
    {
        public List<string> Lines { get; } = [];

        public void ServerDown(ServerHealth server, string reason, string how) => Lines.Add($"down after {how}: {reason}");

        public void ServerUp(ServerHealth server, TimeSpan downFor, string how) => Lines.Add($"up after {how} (down {downFor.TotalSeconds} s)");
    }

    private readonly ManualTime _time = new();
    private readonly Events _events = new();

    private ServerHealth Health(int healthy = 2, int unhealthy = 3, int maxFails = 3, double failTimeoutSeconds = 10) =>
        new("http://10.0.0.1:8000", healthy, unhealthy, maxFails, TimeSpan.FromSeconds(failTimeoutSeconds), _time, _events);

    [Fact]
    public void FailedChecksInARowMarkItDownAndPassesInARowBringItBack()
    {
        ServerHealth health = Health();
        health.CheckFailed("503");
        health.CheckFailed("503");
        health.CheckPassed();                  // the streak is broken
        health.CheckFailed("503");
        health.CheckFailed("503");
        Assert.True(health.IsAvailable);
        health.CheckFailed("health check /ready answered 503 Service Unavailable");
        Assert.False(health.IsAvailable);
        Assert.Equal("health check /ready answered 503 Service Unavailable", health.Status(0).Reason);

        _time.Advance(TimeSpan.FromSeconds(4));
        health.CheckPassed();
        Assert.False(health.IsAvailable);
        health.CheckPassed();
        Assert.True(health.IsAvailable);
        Assert.Equal(["down after 3 failed health checks: health check /ready answered 503 Service Unavailable", "up after 2 passed health checks (down 4 s)"], _events.Lines);
    }

    [Fact]
    public void FailedRequestsInARowLeaveItOutForTheBackOffThenItIsTriedAgain()
    {
        ServerHealth health = Health(maxFails: 2, failTimeoutSeconds: 10);
        health.RequestFailed("connection refused");
        health.RequestSucceeded();             // the streak is broken
        health.RequestFailed("connection refused");
        Assert.True(health.IsAvailable);
        DateTimeOffset failedAt = _time.GetUtcNow();
        health.RequestFailed("answered 502");
        Assert.False(health.IsAvailable);
        Assert.Equal((failedAt, "answered 502"), (health.Status(0).Since, health.Status(0).Reason));

        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(health.IsAvailable);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(health.IsAvailable);
        Assert.Equal(["down after 2 failed requests in a row; left out for 10 s: answered 502", "up after its 10 s back-off ended (down 10 s)"], _events.Lines);
        // Up since the back-off ended; the failure that sent it away is still there to read.
        ServerStatus status = health.Status(3);
        Assert.Equal((true, failedAt.AddSeconds(10), null, "answered 502", failedAt, 3), (status.Available, status.Since, status.Reason, status.LastFailure, status.LastFailureAt, status.InFlight));
    }

    [Fact]
    public void FailedRequestsBelowMaxFailsAreCountedAndASuccessClearsThem()
    {
        ServerHealth health = Health(maxFails: 3);
        DateTimeOffset created = _time.GetUtcNow();
        health.RequestFailed("connection reset by the server");
        health.RequestFailed("answered 503");
        Assert.Equal((true, created, 2, "answered 503"), (health.Status(0).Available, health.Status(0).Since, health.Status(0).FailedRequests, health.Status(0).LastFailure));
        health.RequestSucceeded();
        Assert.Equal(0, health.Status(0).FailedRequests);
    }

    [Fact]
    public void AReloadsNewHealthTakesOverTheOldOnesStateWithoutTellingAnyoneAgain()
    {
        ServerHealth before = Health(healthy: 2, unhealthy: 1, maxFails: 1, failTimeoutSeconds: 10);
        DateTimeOffset downAt = _time.GetUtcNow();
        before.CheckFailed("health check / failed: connection refused");
        before.RequestFailed("connection refused");
        _time.Advance(TimeSpan.FromSeconds(3));
        ServerHealth after = Health(healthy: 2, unhealthy: 1, maxFails: 1, failTimeoutSeconds: 10);
        Assert.True(after.IsAvailable);

        after.TakeOver(before);

        Assert.False(after.IsAvailable);
        Assert.Equal((false, downAt, "health check / failed: connection refused"), (after.Status(0).Available, after.Status(0).Since, after.Status(0).Reason));
        Assert.Single(_events.Lines);                 // the one "down" of the old health: taking over says nothing
        after.CheckPassed();
        Assert.False(after.IsAvailable);              // healthy_threshold = 2: one passed check is not enough
        _time.Advance(TimeSpan.FromSeconds(7));       // the passive back-off from the old one's failed request ends too
        after.CheckPassed();
        Assert.True(after.IsAvailable);
    }

    [Fact]
    public void MaxFailsZeroNeverMarksItDown()
    {
        ServerHealth health = Health(maxFails: 0);
        for (int i = 0; i < 100; i++)
        {
            health.RequestFailed("connection refused");
        }
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void TheBackOffEndingDoesNotBringBackAServerTheActiveChecksHoldDown()
    {
        ServerHealth health = Health(healthy: 1, unhealthy: 1, maxFails: 1);
        health.RequestFailed("connection refused");
        health.CheckFailed("health check / failed: connection refused");
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.False(health.IsAvailable);
        health.CheckPassed();
        Assert.True(health.IsAvailable);
        Assert.Equal(2, _events.Lines.Count);   // one down, one up: the two sources do not both report
    }

    [Fact]
    public void ChecksThatBringBackAServerWhoseBackOffEndedUnseenSaySoAtOnce()
    {
        // Killed: a reset request leaves it out for 2 s, the checks then hold it down; nobody asks while it is away.
        ServerHealth health = Health(healthy: 2, unhealthy: 1, maxFails: 1, failTimeoutSeconds: 2);
        health.RequestFailed("connection reset by the server");
        health.CheckFailed("health check /_pyhost/ready failed: connection refused");
        _time.Advance(TimeSpan.FromSeconds(5));
        health.CheckPassed();
        health.CheckPassed();
        Assert.Equal(["down after 1 failed request in a row; left out for 2 s: connection reset by the server", "up after 2 passed health checks (down 5 s)"], _events.Lines);
        Assert.True(health.IsAvailable);
        Assert.Equal(2, _events.Lines.Count);
    }
}
