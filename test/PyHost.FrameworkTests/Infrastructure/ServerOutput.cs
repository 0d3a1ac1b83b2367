using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PyHost.FrameworkTests.Infrastructure;

public static class ServerOutput
{
    /// <summary>Waits for a server to print a matching line after <paramref name="mark"/> (worker output reaches the log a little later).</summary>
    public static async Task WaitForAsync(WebServer server, Regex pattern, int mark)
    {
        var clock = Stopwatch.StartNew();
        while (!pattern.IsMatch(server.OutputSince(mark)))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail($"{server.Name} did not print /{pattern}/ within 10 s:\n{server.OutputSince(mark)}");
            }
            await Task.Delay(20);
        }
    }
}
