using System.Globalization;
using System.Text.RegularExpressions;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>wrk's socket error counters: a client that could not connect, saw a reset or closed connection, or gave up.</summary>
public sealed record WrkSocketErrors(long Connect, long Read, long Write, long Timeout)
{
    public static readonly WrkSocketErrors None = new(0, 0, 0, 0);

    public long Total => Connect + Read + Write + Timeout;
}

/// <summary>
/// What a wrk run counted, read from its own summary. wrk prints the "Socket errors" and "Non-2xx or 3xx responses"
/// lines only when they are not zero, so a missing line is a zero.
/// </summary>
public sealed partial record WrkReport(long Requests, long NonSuccessResponses, WrkSocketErrors SocketErrors, string Text)
{
    /// <summary>Requests that did not get a 2xx or 3xx, or whose connection failed.</summary>
    public long Failures => NonSuccessResponses + SocketErrors.Total;

    /// <summary>Parses wrk's stdout; throws FormatException when its summary line ("N requests in T, S read") is missing.</summary>
    public static WrkReport Parse(string text)
    {
        var requests = RequestsLine().Match(text);
        if (!requests.Success)
        {
            throw new FormatException($"No \"N requests in\" line in wrk's output:\n{text}");
        }
        var socketErrors = SocketErrorsLine().Match(text) is { Success: true } errors
            ? new WrkSocketErrors(Number(errors, "connect"), Number(errors, "read"), Number(errors, "write"), Number(errors, "timeout"))
            : WrkSocketErrors.None;
        var nonSuccess = NonSuccessLine().Match(text) is { Success: true } statuses ? Number(statuses, "count") : 0;
        return new WrkReport(Number(requests, "count"), nonSuccess, socketErrors, text);
    }

    public override string ToString() =>
        $"{Requests} requests, {NonSuccessResponses} non-2xx/3xx, socket errors: connect {SocketErrors.Connect}, " +
        $"read {SocketErrors.Read}, write {SocketErrors.Write}, timeout {SocketErrors.Timeout}";

    private static long Number(Match match, string group) => long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    // wrk.c: printf("  %"PRIu64" requests in %s, ", complete, runtime_msg) and the two error lines after it.
    [GeneratedRegex(@"^\s*(?<count>\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"^\s*Socket errors: connect (?<connect>\d+), read (?<read>\d+), write (?<write>\d+), timeout (?<timeout>\d+)", RegexOptions.Multiline)]
    private static partial Regex SocketErrorsLine();

    [GeneratedRegex(@"^\s*Non-2xx or 3xx responses: (?<count>\d+)", RegexOptions.Multiline)]
    private static partial Regex NonSuccessLine();
}
