namespace PyHost.Http.Proxy.Health;

/// <summary>Whether a server takes requests, and since when and why not: what the logs and the admin status show.</summary>
/// <param name="Since">When it went into its present state (UTC): marked down, up again, or, never down, when the
/// configuration that has it came into force.</param>
/// <param name="Reason">Why it is down: the failed check or request that marked it down; null while it is up.</param>
/// <param name="LastFailure">The last failed check or request, whether or not it changed anything (kept while up).</param>
/// <param name="FailedRequests">Failed requests in a row, counted towards max_fails (nginx's passive check).</param>
public sealed record ServerStatus(string Server, bool Available, DateTimeOffset Since, string? Reason, string? LastFailure,
    DateTimeOffset? LastFailureAt, int FailedRequests, int InFlight);

/// <summary>A change of a server's state, for the log.</summary>
public interface IHealthObserver
{
    void ServerDown(ServerHealth server, string reason, string how);

    void ServerUp(ServerHealth server, TimeSpan downFor, string how);
}

/// <summary>
/// The health of one server, from two sources. Active checks (HAProxy's <c>check rise/fall</c>): a server is down
/// after <c>unhealthy_threshold</c> failed checks in a row and up again after <c>healthy_threshold</c> passed ones.
/// Passive checks (nginx's <c>max_fails</c>/<c>fail_timeout</c>): <c>max_fails</c> failed requests in a row leave it
/// out for <c>fail_timeout</c>, after which it is tried again. It starts up: a server is trusted until shown otherwise.
/// </summary>
public sealed class ServerHealth(string name, int healthyThreshold, int unhealthyThreshold, int maxFails, TimeSpan failTimeout,
    TimeProvider time, IHealthObserver observer)
{
    private readonly Lock _lock = new();
    private bool _activeDown;
    private int _checkStreak;          // > 0: passes in a row; < 0: fails in a row
    private int _failedRequests;       // in a row
    private long _passiveDownUntil;    // time.GetTimestamp(); 0 = not down
    private DateTimeOffset? _downSince;
    private DateTimeOffset _since = time.GetUtcNow();
    private string? _reason;
    private string? _lastFailure;
    private DateTimeOffset? _lastFailureAt;

    public string Name { get; } = name;

    /// <summary>Whether a request may be sent to it now.</summary>
    public bool IsAvailable
    {
        get
        {
            long until = Volatile.Read(ref _passiveDownUntil);
            return !Volatile.Read(ref _activeDown) && (until == 0 || time.GetTimestamp() >= until && EndPassiveDown(until));
        }
    }

    public ServerStatus Status(int inFlight)
    {
        bool available = IsAvailable;
        lock (_lock)
        {
            return new ServerStatus(Name, available, _since, available ? null : _reason, _lastFailure, _lastFailureAt, _failedRequests, inFlight);
        }
    }

    /// <summary>
    /// Starts from where <paramref name="previous"/> is: the same server in the configuration a reload replaces. A server
    /// that was down stays down (since the same time, for the same reason) instead of being trusted again until its
    /// first check or failed request, which a request not safe to retry would pay for.
    /// </summary>
    public void TakeOver(ServerHealth previous)
    {
        lock (previous._lock)
        {
            lock (_lock)
            {
                _activeDown = previous._activeDown;
                _checkStreak = previous._checkStreak;
                _failedRequests = previous._failedRequests;
                _passiveDownUntil = previous._passiveDownUntil;
                _downSince = previous._downSince;
                _since = previous._since;
                _reason = previous._reason;
                _lastFailure = previous._lastFailure;
                _lastFailureAt = previous._lastFailureAt;
            }
        }
    }

    public void CheckPassed()
    {
        lock (_lock)
        {
            _checkStreak = _checkStreak > 0 ? _checkStreak + 1 : 1;
            if (!_activeDown || _checkStreak < healthyThreshold)
            {
                return;
            }
            _activeDown = false;
            ClearEndedBackOff();
            if (_passiveDownUntil == 0)
            {
                WentUp($"{_checkStreak} passed health check{(_checkStreak == 1 ? "" : "s")}");
            }
        }
    }

    public void CheckFailed(string reason)
    {
        lock (_lock)
        {
            _checkStreak = _checkStreak < 0 ? _checkStreak - 1 : -1;
            NoteFailure(reason);
            if (_activeDown || -_checkStreak < unhealthyThreshold)
            {
                return;
            }
            ClearEndedBackOff();
            bool wasAvailable = _passiveDownUntil == 0;
            _activeDown = true;
            _reason = reason;
            if (wasAvailable)
            {
                WentDown(reason, $"{-_checkStreak} failed health check{(_checkStreak == -1 ? "" : "s")}");
            }
        }
    }

    public void RequestSucceeded()
    {
        if (Volatile.Read(ref _failedRequests) != 0)
        {
            lock (_lock)
            {
                _failedRequests = 0;
            }
        }
    }

    public void RequestFailed(string reason)
    {
        lock (_lock)
        {
            NoteFailure(reason);
            if (maxFails == 0 || ++_failedRequests < maxFails || _passiveDownUntil != 0)
            {
                return;
            }
            _failedRequests = 0;
            _passiveDownUntil = time.GetTimestamp() + (long)(failTimeout.TotalSeconds * time.TimestampFrequency);
            if (!_activeDown)
            {
                _reason = reason;
                WentDown(reason, $"{maxFails} failed request{(maxFails == 1 ? "" : "s")} in a row; left out for {failTimeout.TotalSeconds:0.#} s");
            }
        }
    }

    /// <summary>The back-off is over: the server is tried again (nginx), unless active checks hold it down.</summary>
    private bool EndPassiveDown(long until)
    {
        lock (_lock)
        {
            if (_passiveDownUntil != until)
            {
                return _passiveDownUntil == 0 || time.GetTimestamp() >= _passiveDownUntil;
            }
            _passiveDownUntil = 0;
            if (!_activeDown)
            {
                WentUp($"its {failTimeout.TotalSeconds:0.#} s back-off ended");
            }
            return !_activeDown;
        }
    }

    /// <summary>
    /// A back-off that ended is over, even if no request asked since (<see cref="IsAvailable"/> ends it lazily, and
    /// not while active checks hold the server down): the checks' own verdict is then the one to report.
    /// </summary>
    private void ClearEndedBackOff()
    {
        if (_passiveDownUntil != 0 && time.GetTimestamp() >= _passiveDownUntil)
        {
            _passiveDownUntil = 0;
        }
    }

    private void NoteFailure(string reason)
    {
        _lastFailure = reason;
        _lastFailureAt = time.GetUtcNow();
    }

    private void WentDown(string reason, string how)
    {
        _downSince = _since = time.GetUtcNow();
        observer.ServerDown(this, reason, how);
    }

    private void WentUp(string how)
    {
        DateTimeOffset now = time.GetUtcNow();
        TimeSpan downFor = _downSince is { } since ? now - since : TimeSpan.Zero;
        _downSince = null;
        _since = now;
        _reason = null;
        observer.ServerUp(this, downFor, how);
    }
}
