using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>GET /workers/ID/stack: every thread's Python stack of a running worker, without stopping it; and the
/// stacks the timeout takes, in the log and in GET /errors.</summary>
public sealed class StackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheStackOfABusyWorkerShowsWhereTheAppIsAndTheWorkerCarriesOn()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);
        JsonElement worker = (await site.WorkersAsync())[0];
        int id = worker.GetProperty("id").GetInt32();
        int pid = worker.GetProperty("pid").GetInt32();

        Task<RawHttpResponse> slow = site.GetAsync("/sleep?seconds=2");
        // Busy for a moment: a request given to the worker may not have reached the app yet.
        Assert.True(await Until.HoldsAsync(async () => (await site.WorkersAsync())[0].GetProperty("elapsed_seconds") is
            { ValueKind: JsonValueKind.Number } elapsed && elapsed.GetDouble() > 0.3, TimeSpan.FromSeconds(5)));
        ApiAnswer answer = await site.Api.GetAsync($"/workers/{id}/stack");

        Assert.True(answer.Status == 200, answer.ToString());
        Assert.Equal((id, pid), (answer.Json.GetProperty("worker").GetInt32(), answer.Json.GetProperty("pid").GetInt32()));
        string stack = answer.Json.GetProperty("stack").GetString()!;
        Assert.Matches(new Regex(@"File "".*observed\.py"", line \d+ in sleep_for\n  File "".*observed\.py"", line \d+ in app"), stack);
        Assert.Contains("Current thread", stack);
        Assert.Contains(" in watch", stack);   // the watchdog thread: every thread is there
        // Not stopped: the request finishes, on the same process.
        Assert.Equal(pid, (await slow).AssertStatus(200).Json().GetProperty("pid").GetInt32());
        Assert.Equal(pid, (await site.GetAsync("/")).AssertStatus(200).Json().GetProperty("pid").GetInt32());
        // An idle worker's stack is the shim waiting for its next request; two dumps do not mix.
        string idle = (await site.Api.GetJsonAsync($"/workers/{id}/stack")).Json.GetProperty("stack").GetString()!;
        Assert.DoesNotContain("sleep_for", idle);
        Assert.Contains("in receive", idle);
    }

    [Fact]
    public async Task AStackOfAWorkerThatDoesNotExistIs404AndANonNumberIs400()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer missing = await site.Api.GetAsync("/workers/999/stack");
        ApiAnswer notANumber = await site.Api.GetAsync("/workers/abc/stack");

        Assert.Equal(404, missing.Status);
        Assert.Contains("no running worker 999", missing.FirstError.Message);
        Assert.Equal(400, notANumber.Status);
    }

    [Fact]
    public async Task ATimeoutLogsTheHungWorkersStackAndListsItAmongTheErrors()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1", "-t", "1"]);

        (await site.GetAsync("/sleep?seconds=30")).AssertStatus(504);

        await site.Process.WaitForOutputAsync(new Regex(@"Python stack at the timeout follows"), TimeSpan.FromSeconds(5));
        await site.Process.WaitForOutputAsync(new Regex(@"\[ERROR\] \[worker \d+ \(pid \d+\)\] +File "".*observed\.py"", line \d+ in sleep_for"), TimeSpan.FromSeconds(5));
        JsonElement error = default;
        Assert.True(await Until.HoldsAsync(async () =>
        {
            JsonElement errors = (await site.Api.GetJsonAsync("/errors")).Json.GetProperty("errors");
            error = errors.EnumerateArray().FirstOrDefault(e => e.GetProperty("kind").GetString() == "timeout");
            return error.ValueKind == JsonValueKind.Object;
        }, TimeSpan.FromSeconds(5)), site.Process.Describe());
        Assert.Contains("GET /sleep?seconds=30 ran past --timeout", error.GetProperty("summary").GetString());
        Assert.Contains("in sleep_for", error.GetProperty("detail").GetString());
        Assert.True(await Until.HoldsAsync(async () =>
            (await site.StatusAsync()).GetProperty("apps")[0].GetProperty("restarts").GetProperty("timeout").GetInt64() == 1,
            TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AnAppExceptionIsListedWithItsTraceback()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        (await site.GetAsync("/boom?x=1")).AssertStatus(500);

        JsonElement error = default;
        Assert.True(await Until.HoldsAsync(async () =>
        {
            JsonElement errors = (await site.Api.GetJsonAsync("/errors")).Json.GetProperty("errors");
            error = errors.GetArrayLength() > 0 ? errors[0] : default;
            return error.ValueKind == JsonValueKind.Object;
        }, TimeSpan.FromSeconds(5)), site.Process.Describe());
        Assert.Equal("app-error", error.GetProperty("kind").GetString());
        Assert.Equal("GET /boom?x=1: ZeroDivisionError: the test app divides by zero", error.GetProperty("summary").GetString());
        string traceback = error.GetProperty("detail").GetString()!;
        Assert.StartsWith("Traceback (most recent call last):", traceback);
        Assert.Matches(new Regex(@"File "".*observed\.py"", line \d+, in app\n"), traceback);
        Assert.EndsWith("ZeroDivisionError: the test app divides by zero", traceback);
        Assert.Equal((await site.WorkersAsync())[0].GetProperty("id").GetInt32(), error.GetProperty("worker").GetInt32());
    }
}
