namespace PyHost.Workers.Observability;

/// <summary>
/// Picks Python tracebacks out of the workers' output (their stderr, line by line) for <see cref="RecentErrors"/>: the
/// shim writes "Error handling request GET /x" and the traceback when an app raises (as gunicorn does), and an app's
/// own <c>logging.exception</c> writes a bare traceback. A traceback ends at its first unindented line, the exception;
/// a chained one ("During handling of the above exception…") carries on in the same record.
/// </summary>
public sealed class TracebackCollector(RecentErrors errors, string app)
{
    private const string RequestErrorPrefix = "Error handling request ";
    private const string TracebackHeader = "Traceback (most recent call last):";
    private const int MaxLines = 400;

    private readonly Dictionary<string, Pending> _byWorker = new();

    public void Line(string worker, int? workerId, string line)
    {
        lock (_byWorker)
        {
            _byWorker.TryGetValue(worker, out Pending? pending);
            if (pending is not null && pending.Take(line))
            {
                if (pending.Record is { } record)
                {
                    errors.Update(record with { Summary = pending.Summary ?? record.Summary, Detail = pending.Text });
                }
                else if (pending.Complete)
                {
                    pending.Record = errors.Add(app, "app-error", pending.Summary!, workerId, pending.Text);
                }
                return;
            }
            _byWorker.Remove(worker);
            if (line.StartsWith(RequestErrorPrefix, StringComparison.Ordinal))
            {
                _byWorker[worker] = new Pending(line);
            }
            else if (line.StartsWith(TracebackHeader, StringComparison.Ordinal))
            {
                var bare = new Pending(null);
                bare.Take(line);
                _byWorker[worker] = bare;
            }
        }
    }

    private sealed class Pending(string? requestLine)
    {
        private readonly string? _request = requestLine is null ? null : requestLine[RequestErrorPrefix.Length..];
        private readonly List<string> _lines = [];
        private bool _inTraceback;
        private bool _afterException;

        public string? Summary { get; private set; }

        public bool Complete { get; private set; }

        public ErrorRecord? Record { get; set; }

        public string Text => string.Join('\n', _lines);

        /// <summary>True when the line belongs to this traceback.</summary>
        public bool Take(string line)
        {
            if (_lines.Count >= MaxLines)
            {
                return false;
            }
            if (!_inTraceback)
            {
                if (!line.StartsWith(TracebackHeader, StringComparison.Ordinal))
                {
                    return false;
                }
                _inTraceback = true;
                _lines.Add(line);
                return true;
            }
            if (_afterException)
            {
                // Only a chained exception continues the record: a blank line, then its explanation.
                if (line.Length == 0 || line.StartsWith("During handling of the above exception", StringComparison.Ordinal)
                                     || line.StartsWith("The above exception was the direct cause", StringComparison.Ordinal))
                {
                    _lines.Add(line);
                    return true;
                }
                if (line.StartsWith(TracebackHeader, StringComparison.Ordinal) && _lines[^1].Length == 0)
                {
                    _afterException = false;
                    _lines.Add(line);
                    return true;
                }
                return false;
            }
            _lines.Add(line);
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                // The exception itself: "ZeroDivisionError: division by zero".
                _afterException = true;
                Complete = true;
                Summary = _request is null ? line : $"{_request}: {line}";
            }
            return true;
        }
    }
}
