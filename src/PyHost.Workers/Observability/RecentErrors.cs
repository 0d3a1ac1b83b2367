namespace PyHost.Workers.Observability;

/// <summary>One thing that went wrong, for the dashboard and <c>GET /errors</c>: an app traceback, a timeout with the
/// worker's stack, a crash, a boot failure.</summary>
public sealed record ErrorRecord
{
    public required long Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    public required string App { get; init; }

    /// <summary>"app-error", "timeout", "crash", "boot-failed".</summary>
    public required string Kind { get; init; }

    /// <summary>One line: the request, the exception, the exit status.</summary>
    public required string Summary { get; init; }

    public int? Worker { get; init; }

    /// <summary>The traceback or the stacks of every thread; null when there is none.</summary>
    public string? Detail { get; init; }
}

/// <summary>The last <see cref="Capacity"/> errors, newest last. Thread-safe; an error's detail may still grow (a
/// chained traceback) after it was added.</summary>
public sealed class RecentErrors
{
    public const int Capacity = 50;

    private readonly LinkedList<ErrorRecord> _records = new();
    private long _nextId;

    public ErrorRecord Add(string app, string kind, string summary, int? worker, string? detail)
    {
        lock (_records)
        {
            var record = new ErrorRecord
            {
                Id = ++_nextId, Time = DateTimeOffset.Now, App = app, Kind = kind, Summary = summary, Worker = worker, Detail = detail,
            };
            _records.AddLast(record);
            if (_records.Count > Capacity)
            {
                _records.RemoveFirst();
            }
            return record;
        }
    }

    /// <summary>Replaces a record kept here with a changed copy (same id); false when it has been dropped since.</summary>
    public bool Update(ErrorRecord changed)
    {
        lock (_records)
        {
            for (LinkedListNode<ErrorRecord>? node = _records.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Id == changed.Id)
                {
                    node.Value = changed;
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<ErrorRecord> Snapshot()
    {
        lock (_records)
        {
            return _records.Reverse().ToArray();
        }
    }
}
