using Xunit;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>The parser the load tests count failures with, fed wrk's real output.</summary>
public sealed class WrkReportTests
{
    private const string Clean = """
        Running 2s test @ http://127.0.0.1:18767/
          2 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     2.38ms    4.35ms  52.97ms   97.90%
            Req/Sec     4.35k     1.10k    7.85k    73.17%
          17749 requests in 2.10s, 3.88MB read
        Requests/sec:   8452.53
        Transfer/sec:      1.85MB
        """;

    private const string WithErrors = """
        Running 1s test @ http://127.0.0.1:18798/nope
          1 threads and 4 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency     1.85ms  603.77us   8.71ms   79.82%
            Req/Sec     2.12k   126.36     2.42k    81.82%
          2318 requests in 1.10s, 1.15MB read
          Socket errors: connect 1, read 27, write 3, timeout 4
          Non-2xx or 3xx responses: 2318
        Requests/sec:   2108.25
        Transfer/sec:      1.05MB
        """;

    [Fact]
    public void CleanRunHasItsRequestCountAndNoFailures()
    {
        var report = WrkReport.Parse(Clean);

        Assert.Equal(17749, report.Requests);
        Assert.Equal(0, report.NonSuccessResponses);
        Assert.Equal(WrkSocketErrors.None, report.SocketErrors);
        Assert.Equal(0, report.Failures);
    }

    [Fact]
    public void SocketErrorsAndNon2xxResponsesAreCountedFromTheirLines()
    {
        var report = WrkReport.Parse(WithErrors);

        Assert.Equal(2318, report.Requests);
        Assert.Equal(2318, report.NonSuccessResponses);
        Assert.Equal(new WrkSocketErrors(Connect: 1, Read: 27, Write: 3, Timeout: 4), report.SocketErrors);
        Assert.Equal(2318 + 35, report.Failures);
    }

    [Theory]
    [InlineData("")]
    [InlineData("unable to connect to 127.0.0.1:18799 Connection refused")]
    [InlineData("Running 1s test @ http://127.0.0.1:1/\n  1 threads and 1 connections\n")]
    public void OutputWithoutTheSummaryLineIsNotMistakenForACleanRun(string text) =>
        Assert.Throws<FormatException>(() => WrkReport.Parse(text));
}
