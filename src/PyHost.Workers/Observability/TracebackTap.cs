using PyHost.Workers.Supervision;

namespace PyHost.Workers.Observability;

/// <summary>A worker's stderr on its way to the error log, read on the way for the recent errors' tracebacks.</summary>
internal sealed class TracebackTap(IWorkerOutputSink log, TracebackCollector tracebacks, int workerId) : IWorkerOutputSink
{
    public void Write(string worker, WorkerOutputStream stream, IReadOnlyList<string> lines)
    {
        log.Write(worker, stream, lines);
        foreach (string line in lines)
        {
            tracebacks.Line(worker, workerId, line);
        }
    }
}
