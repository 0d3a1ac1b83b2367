using System.CommandLine;
using System.Globalization;
using PyHost.Admin.Api;
using PyHost.Admin.Client;
using PyHost.Workers.Observability;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PyHost.Cli;

/// <summary>
/// <c>pyhost top</c>: the running server's workers, queue and request rate in the terminal, refreshed every second
/// (uwsgitop's job), for a server reached over SSH. Reads <c>GET /status</c> of the admin API; q or Ctrl-C quits.
/// </summary>
public static class TopCommand
{
    private static readonly Option<bool> Once = new("--once") { Description = "Print the table once and exit." };
    private static readonly Option<double> Interval = new("--interval")
    {
        Description = "Seconds between refreshes.",
        DefaultValueFactory = _ => 1.0,
    };

    public static Command Create()
    {
        var top = new Command("top", "Watch a running server's workers, queue and requests, refreshed every second.")
        {
            ControlCommands.ControlPath, ControlCommands.PidFile, ControlCommands.AdminUrl, ControlCommands.AdminTokenFile, Once, Interval,
        };
        top.SetAction((parsed, cancellation) => RunAsync(parsed, cancellation));
        return top;
    }

    private static async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellation)
    {
        using AdminClient? client = ControlCommands.Connect(parsed, TimeSpan.FromSeconds(5));
        if (client is null)
        {
            return 1;
        }
        if (parsed.GetValue(Once))
        {
            return await ControlCommands.CallAsync(client, async () =>
            {
                AdminReply<StatusDocument> reply = await client.StatusAsync(cancellation);
                AnsiConsole.Write(reply.Succeeded ? Render(reply.Value!) : new Markup(Markup.Escape($"error: {reply.ErrorText}")));
                return reply.Succeeded ? 0 : 1;
            });
        }
        TimeSpan interval = TimeSpan.FromSeconds(Math.Clamp(parsed.GetValue(Interval), 0.2, 60));
        using var quit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Console.CancelKeyPress += (_, args) =>
        {
            args.Cancel = true;
            quit.Cancel();
        };
        await AnsiConsole.Live(new Markup("connecting to " + Markup.Escape(client.Where) + " …"))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async live =>
            {
                while (!quit.IsCancellationRequested)
                {
                    live.UpdateTarget(await SnapshotAsync(client, quit.Token));
                    live.Refresh();
                    await WaitAsync(interval, quit);
                }
            });
        return 0;
    }

    private static async Task<IRenderable> SnapshotAsync(AdminClient client, CancellationToken cancellation)
    {
        try
        {
            AdminReply<StatusDocument> reply = await client.StatusAsync(cancellation);
            return reply.Succeeded ? Render(reply.Value!) : new Markup(Markup.Escape($"error: {reply.ErrorText}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return new Markup($"[red]cannot reach {Markup.Escape(client.Where)}[/]: {Markup.Escape(ex.Message)} (retrying; q quits)");
        }
    }

    /// <summary>Sleeps until the next refresh, quitting early on q.</summary>
    private static async Task WaitAsync(TimeSpan interval, CancellationTokenSource quit)
    {
        DateTime until = DateTime.UtcNow + interval;
        while (DateTime.UtcNow < until && !quit.IsCancellationRequested)
        {
            while (!Console.IsInputRedirected && Console.KeyAvailable)
            {
                if (Console.ReadKey(intercept: true).Key is ConsoleKey.Q or ConsoleKey.Escape)
                {
                    quit.Cancel();
                }
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), quit.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public static IRenderable Render(StatusDocument status)
    {
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]pyhost {Markup.Escape(status.Server.Version)}[/]  pid {status.Server.Pid}  up {Duration(status.Server.UptimeSeconds)}  "
                       + $"[grey]{Markup.Escape(string.Join(" ", status.Listeners))}[/]"),
        };
        foreach (AppStatus app in status.Apps)
        {
            rows.Add(Text.Empty);
            rows.Add(AppLine(app));
            rows.Add(WorkerTable(app));
            if (app.LastRestart is { } restart)
            {
                rows.Add(new Markup($"[grey]last restart: worker {restart.Worker}, {Markup.Escape(restart.Reason)} ({Markup.Escape(restart.Detail)}) at {restart.Time:HH:mm:ss}[/]"));
            }
        }
        foreach (UpstreamStatus upstream in status.Upstreams)
        {
            rows.Add(Text.Empty);
            rows.Add(new Markup($"[bold blue]upstream {Markup.Escape(upstream.Name)}[/] {Markup.Escape(upstream.Policy)}"));
            rows.AddRange(upstream.Servers.Select(ServerLine));
        }
        rows.Add(new Markup("[grey]q quits[/]"));
        return new Rows(rows);
    }

    /// <summary>"  127.0.0.1:8001 up, 2 in flight" or "  127.0.0.1:8002 DOWN since 12:00:01: connection refused".</summary>
    private static Markup ServerLine(UpstreamServerStatus server) => new(server.Healthy
        ? $"  {Markup.Escape(server.Address)} [green]up[/], {server.InFlight} in flight"
        : $"  {Markup.Escape(server.Address)} [red]DOWN[/] since {server.Since.ToLocalTime():HH:mm:ss}: {Markup.Escape(server.Reason ?? "")}");

    private static Markup AppLine(AppStatus app)
    {
        int serving = app.Workers.Count(w => w.Kind == "worker" && w.State is "idle" or "busy");
        RequestSummary? requests = app.Requests;
        string latency = requests?.P50Milliseconds is { } p50
            ? $"p50 {Milliseconds(p50)}  p90 {Milliseconds(requests.P90Milliseconds)}  p99 {Milliseconds(requests.P99Milliseconds)}"
            : "no requests lately";
        string restarts = string.Join(" ", app.Restarts.Where(r => r.Value > 0).Select(r => $"{r.Key} {r.Value}"));
        return new Markup($"[bold blue]{Markup.Escape(app.Name)}[/] {Markup.Escape(app.Module)}  workers {serving}/{app.TargetWorkers}"
                          + (app.Reloading ? " [yellow]reloading[/]" : "")
                          + $"  queue {app.Queue.Waiting}+{app.Queue.Pipelined}"
                          + $"  {(requests?.PerSecond ?? 0).ToString("0.0", CultureInfo.InvariantCulture)} req/s  {latency}"
                          + (restarts.Length > 0 ? $"  [grey]restarts: {Markup.Escape(restarts)}[/]" : ""));
    }

    private static Table WorkerTable(AppStatus app)
    {
        var table = new Table().Border(TableBorder.Simple).Expand();
        foreach (string column in (string[])["ID", "PID", "STATE", "GEN", "REQUEST", "ELAPSED", "RSS", "SERVED", "UP"])
        {
            table.AddColumn(new TableColumn(column) { NoWrap = true });
        }
        table.Columns[4].NoWrap = false;
        foreach (WorkerStatus worker in app.Workers.OrderBy(w => w.Id))
        {
            string state = worker.State switch
            {
                "busy" => "[green]busy[/]",
                "booting" => "[yellow]booting[/]",
                "retiring" => "[grey]retiring[/]",
                _ => worker.State,
            };
            if (worker.Kind == "zygote")
            {
                state = "[grey]zygote[/]";
            }
            table.AddRow(
                worker.Id.ToString(CultureInfo.InvariantCulture),
                worker.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",
                state,
                worker.Generation.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(worker.CurrentRequest ?? worker.Reason ?? ""),
                worker.ElapsedSeconds is { } elapsed ? elapsed.ToString("0.0s", CultureInfo.InvariantCulture) : "",
                worker.MemoryRssBytes is { } rss ? $"{rss / (1024.0 * 1024):0.0}M" : "-",
                worker.RequestsServed.ToString(CultureInfo.InvariantCulture),
                Duration(worker.UptimeSeconds));
        }
        return table;
    }

    private static string Milliseconds(double? value) =>
        value is { } ms ? (ms < 10 ? ms.ToString("0.0", CultureInfo.InvariantCulture) : ms.ToString("0", CultureInfo.InvariantCulture)) + "ms" : "-";

    private static string Duration(double seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m" : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:00}s" : $"{span.Seconds}s";
    }
}
