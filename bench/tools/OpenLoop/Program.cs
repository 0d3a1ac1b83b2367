// An open-loop HTTP/1.1 load generator for bench/run: requests start at a fixed rate whatever the server does, and
// each one's latency counts from when it was due, so a stall shows in the tail instead of slowing the load (wrk and
// hey wait for a response before the next request on a connection). wrk2 does this but is not in Debian.
using System.Net;
using System.Text.Json;
using OpenLoop;

(OpenLoopOptions? options, string? error) = OpenLoopOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine($"openloop: {error}\n\n{OpenLoopOptions.Usage}");
    return 2;
}
if (!IPAddress.TryParse(options.Host, out IPAddress? address))
{
    Console.Error.WriteLine($"openloop: --host {options.Host}: not an IP address");
    return 2;
}

var recorder = new LatencyRecorder();
var pool = new ConnectionPool(new IPEndPoint(address, options.Port), options.MaxConnections, recorder);
var schedule = new Schedule(options, pool);
var thread = new Thread(schedule.Run) { Name = "schedule", Priority = ThreadPriority.Highest };
thread.Start();
thread.Join();

using var stdout = Console.OpenStandardOutput();
using (var json = new Utf8JsonWriter(stdout))
{
    json.WriteStartObject();
    json.WriteNumber("offered_rate", options.Rate);
    json.WriteNumber("seconds", schedule.Seconds);
    json.WriteNumber("scheduled", schedule.Scheduled);
    json.WriteNumber("scheduled_slow", schedule.Slow);
    WriteSummary(json, "fast", recorder.Fast);
    WriteSummary(json, "slow", recorder.Slow);
    WriteSummary(json, "lateness", recorder.Lateness);
    json.WriteStartObject("statuses");
    foreach ((int status, int count) in recorder.Statuses.OrderBy(s => s.Key))
    {
        json.WriteNumber(status.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
    }
    json.WriteEndObject();
    json.WriteStartObject("failures");
    foreach ((Failure failure, int count) in recorder.Failures.OrderBy(f => f.Key))
    {
        json.WriteNumber(failure.ToString().ToLowerInvariant(), count);
    }
    json.WriteEndObject();
    json.WriteNumber("retried", pool.Retried);
    json.WriteNumber("connections_opened", pool.Opened);
    json.WriteNumber("most_open", pool.MostOpen);
    json.WriteNumber("waited_for_connection", pool.WaitedForConnection);
    json.WriteEndObject();
}
stdout.WriteByte((byte)'\n');
return 0;

static void WriteSummary(Utf8JsonWriter json, string name, Summary summary)
{
    json.WriteStartObject(name);
    json.WriteNumber("count", summary.Count);
    (string Key, double Percent)[] percentiles = [("p50_ms", 50), ("p90_ms", 90), ("p99_ms", 99), ("p999_ms", 99.9)];
    foreach ((string key, double p) in percentiles)
    {
        WriteMilliseconds(json, key, summary.Percentile(p));
    }
    WriteMilliseconds(json, "max_ms", summary.Max);
    json.WriteEndObject();
}

static void WriteMilliseconds(Utf8JsonWriter json, string key, double? value)
{
    if (value is { } ms)
    {
        json.WriteNumber(key, Math.Round(ms, 3));
    }
    else
    {
        json.WriteNull(key);
    }
}
