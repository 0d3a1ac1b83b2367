using PyHost.Workers.Observability;

namespace PyHost.Workers.Tests.Observability;

public class TracebackCollectorTests
{
    private static (RecentErrors Errors, TracebackCollector Collector) Make()
    {
        var errors = new RecentErrors();
        return (errors, new TracebackCollector(errors, "main"));
    }

    [Fact]
    public void AnAppErrorIsOneRecordWithTheRequestTheExceptionAndTheTraceback()
    {
        var (errors, collector) = Make();
        string[] lines =
        [
            "Error handling request GET /boom",
            "Traceback (most recent call last):",
            "  File \"/srv/app.py\", line 3, in app",
            "    1/0",
            "ZeroDivisionError: division by zero",
            "an unrelated print",
        ];
        foreach (string line in lines)
        {
            collector.Line("worker 1 (pid 5)", 1, line);
        }

        ErrorRecord record = Assert.Single(errors.Snapshot());
        Assert.Equal(("app-error", "GET /boom: ZeroDivisionError: division by zero", 1), (record.Kind, record.Summary, record.Worker));
        Assert.Equal(string.Join('\n', lines[1..5]), record.Detail);
    }

    [Fact]
    public void AChainedTracebackStaysOneRecordAndItsSummaryIsTheLastException()
    {
        var (errors, collector) = Make();
        foreach (string line in (string[])
                 [
                     "Traceback (most recent call last):", "  File \"a.py\", line 1, in f", "KeyError: 'x'", "",
                     "During handling of the above exception, another exception occurred:", "",
                     "Traceback (most recent call last):", "  File \"a.py\", line 3, in f", "ValueError: bad", "next",
                 ])
        {
            collector.Line("worker 2", 2, line);
        }

        ErrorRecord record = Assert.Single(errors.Snapshot());
        Assert.Equal("ValueError: bad", record.Summary);
        Assert.StartsWith("Traceback", record.Detail);
        Assert.EndsWith("ValueError: bad", record.Detail);
        Assert.Contains("KeyError: 'x'", record.Detail);
    }

    [Fact]
    public void WorkersInterleavingTheirLinesDoNotMixTheirTracebacks()
    {
        var (errors, collector) = Make();
        collector.Line("w1", 1, "Error handling request GET /a");
        collector.Line("w2", 2, "Error handling request GET /b");
        collector.Line("w1", 1, "Traceback (most recent call last):");
        collector.Line("w2", 2, "Traceback (most recent call last):");
        collector.Line("w2", 2, "  File \"b.py\", line 1, in b");
        collector.Line("w1", 1, "  File \"a.py\", line 1, in a");
        collector.Line("w1", 1, "OSError: a");
        collector.Line("w2", 2, "TypeError: b");

        Assert.Equal(["GET /b: TypeError: b", "GET /a: OSError: a"], errors.Snapshot().Select(e => e.Summary));
        Assert.DoesNotContain("b.py", errors.Snapshot()[1].Detail);
    }

    [Fact]
    public void OnlyTheLastFiftyErrorsAreKept()
    {
        var (errors, collector) = Make();
        for (int i = 0; i < RecentErrors.Capacity + 10; i++)
        {
            collector.Line("w", 1, "Traceback (most recent call last):");
            collector.Line("w", 1, $"RuntimeError: {i}");
        }

        IReadOnlyList<ErrorRecord> kept = errors.Snapshot();
        Assert.Equal(RecentErrors.Capacity, kept.Count);
        Assert.Equal($"RuntimeError: {RecentErrors.Capacity + 9}", kept[0].Summary);
    }
}
