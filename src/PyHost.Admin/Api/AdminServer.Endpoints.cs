using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using PyHost.Admin.Configuration;
using PyHost.Admin.Dashboard;
using PyHost.Workers.Supervision;

namespace PyHost.Admin.Api;

// The routes: a handful, matched by hand (no reflection, nothing to trim away), each with its method checked.
public sealed partial class AdminServer
{
    private const int MaxWorkers = 1024;

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        string[] segments = path.Trim('/').Split('/');
        switch (segments)
        {
            case [""] or ["dashboard"]:
                await OnlyAsync(context, "GET", () => DashboardPage.WriteAsync(context));
                return;
            case ["status"]:
                await OnlyAsync(context, "GET", () => WriteJsonAsync(context, 200, Status(), AdminJson.Api.StatusDocument));
                return;
            case ["errors"]:
                await OnlyAsync(context, "GET", () => WriteJsonAsync(context, 200,
                    new ErrorsDocument(_targets.Apps().SelectMany(app => app.Errors.Snapshot()).OrderByDescending(e => e.Time).ToList()),
                    AdminJson.Api.ErrorsDocument));
                return;
            case ["config"] when HttpMethods.IsGet(context.Request.Method):
                await WriteConfigurationAsync(context, _targets.Configuration.Get());
                return;
            case ["config"]:
                await OnlyAsync(context, "GET, PUT", async () => await WriteConfigurationAsync(context,
                    await _targets.Configuration.ReplaceAsync(await ChangeFromAsync(context), context.RequestAborted)));
                return;
            case ["config", ..] when segments.Length > 1:
                await OnlyAsync(context, "PATCH", async () => await WriteConfigurationAsync(context,
                    await _targets.Configuration.PatchAsync(string.Join('/', segments[1..]), await ChangeFromAsync(context), context.RequestAborted)));
                return;
            case ["reload"]:
                await OnlyAsync(context, "POST", () => ReloadServerAsync(context));
                return;
            case ["scale"]:
                await OnlyAsync(context, "POST", () => ScaleAsync(context, null));
                return;
            case ["apps", var name, "reload"]:
                await OnlyAsync(context, "POST", () => ReloadAsync(context, name));
                return;
            case ["apps", var name, "scale"]:
                await OnlyAsync(context, "POST", () => ScaleAsync(context, name));
                return;
            case ["workers", var id, "stack"]:
                await OnlyAsync(context, "GET", () => StackAsync(context, null, id));
                return;
            case ["apps", var name, "workers", var id, "stack"]:
                await OnlyAsync(context, "GET", () => StackAsync(context, name, id));
                return;
            default:
                await WriteErrorAsync(context, 404, "", $"no such endpoint: {path}; see GET /status, /errors, /metrics, /config, "
                                                        + "POST /reload, /scale, /apps/NAME/reload, /apps/NAME/scale, GET /workers/ID/stack, "
                                                        + "/apps/NAME/workers/ID/stack; PUT /config, PATCH /config/KEY/PATH");
                return;
        }
    }

    private static async Task OnlyAsync(HttpContext context, string allowed, Func<Task> handle)
    {
        if (allowed.Split(", ").Any(method => string.Equals(method, context.Request.Method, StringComparison.OrdinalIgnoreCase)))
        {
            await handle();
            return;
        }
        context.Response.Headers.Allow = allowed;
        await WriteErrorAsync(context, 405, "", $"{context.Request.Method} is not allowed here; use {allowed}");
    }

    private StatusDocument Status() => new()
    {
        Server = new ServerInfo
        {
            Pid = Environment.ProcessId,
            Version = (System.Reflection.Assembly.GetEntryAssembly() ?? typeof(AdminServer).Assembly).GetName().Version?.ToString(3) ?? "?",
            StartedAt = _targets.StartedAt,
            UptimeSeconds = Math.Round((DateTimeOffset.Now - _targets.StartedAt).TotalSeconds, 3),
        },
        Listeners = _targets.Listeners(),
        Apps = _targets.Apps().Select(app => app.Status()).ToList(),
        Upstreams = _targets.Upstreams().Select(UpstreamStatus.Of).ToList(),
    };

    private IAdminApp? App(string name) => _targets.Apps().FirstOrDefault(app => app.Name == name);

    /// <summary>The server's reload, SIGHUP's: its configuration read again and applied (<see cref="IControlTarget"/>).</summary>
    private async Task ReloadServerAsync(HttpContext context)
    {
        if (await ReloadRequestAsync(context) is not { } request)
        {
            return;
        }
        string answer = await _targets.Control.ReloadAsync(request.Reason ?? "admin API");
        await WriteReloadAnswerAsync(context, answer);
    }

    private static async Task<ReloadRequest?> ReloadRequestAsync(HttpContext context)
    {
        if (context.Request.ContentLength is not (null or 0) || context.Request.Headers.TransferEncoding.Count > 0)
        {
            return await ReadJsonAsync(context, AdminJson.Api.ReloadRequest, "reason (text)");
        }
        return new ReloadRequest();
    }

    private static Task WriteReloadAnswerAsync(HttpContext context, string answer)
    {
        bool ok = answer.StartsWith("ok", StringComparison.Ordinal);
        int status = ok ? 200 : answer.Contains("stopping", StringComparison.Ordinal) ? 503 : 422;
        return WriteJsonAsync(context, status, new ReloadAnswer(ok, answer), AdminJson.Api.ReloadAnswer);
    }

    /// <summary>One app's reload: fresh code, the same settings.</summary>
    private async Task ReloadAsync(HttpContext context, string name)
    {
        if (App(name) is not { } app)
        {
            await NoSuchAppAsync(context, name);
            return;
        }
        if (await ReloadRequestAsync(context) is not { } request)
        {
            return;
        }
        // Answers once every new worker is ready, or the new code failed to start: the old workers keep serving.
        await WriteReloadAnswerAsync(context, await app.ReloadAsync(request.Reason ?? "admin API"));
    }

    /// <summary>Scales an app; with no name (<c>POST /scale</c>) the server's only one.</summary>
    private async Task ScaleAsync(HttpContext context, string? name)
    {
        IReadOnlyList<IAdminApp> apps = _targets.Apps();
        IAdminApp? app = name is null ? (apps.Count == 1 ? apps[0] : null) : App(name);
        if (app is null)
        {
            if (name is null)
            {
                await WriteErrorAsync(context, 400, "", $"this server runs {apps.Count} apps ({string.Join(", ", apps.Select(a => a.Name))}): "
                                                        + "name the one to scale, POST /apps/NAME/scale");
                return;
            }
            await NoSuchAppAsync(context, name);
            return;
        }
        if (await ReadJsonAsync(context, AdminJson.Api.ScaleRequest, "workers (a whole number) or delta (+1, -1)") is not { } request)
        {
            return;
        }
        switch (request)
        {
            case { Workers: not null, Delta: not null }:
                await WriteErrorAsync(context, 400, "$", "give either \"workers\" (a number) or \"delta\" (+1, -1), not both");
                return;
            case { Workers: null, Delta: null }:
                await WriteErrorAsync(context, 400, "$", "give \"workers\": N, or \"delta\": +1 or -1");
                return;
            case { Workers: < 1 or > MaxWorkers }:
                await WriteErrorAsync(context, 400, "$.workers", $"the number of workers must be from 1 to {MaxWorkers}, not {request.Workers}");
                return;
            case { Delta: { } delta } when Math.Abs(delta) > MaxWorkers:
                await WriteErrorAsync(context, 400, "$.delta", $"a change of {delta} workers is out of range");
                return;
        }
        int workers = await app.ScaleAsync(request.Delta ?? 0, request.Workers);
        await WriteJsonAsync(context, 200, new ScaleAnswer(workers), AdminJson.Api.ScaleAnswer);
    }

    /// <summary>A worker's stack by its id; ids are per app, so with several apps the app is named, or the first app
    /// with that worker answers.</summary>
    private async Task StackAsync(HttpContext context, string? appName, string idText)
    {
        if (appName is not null && App(appName) is null)
        {
            await NoSuchAppAsync(context, appName);
            return;
        }
        if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            await WriteErrorAsync(context, 400, "", $"a worker id is a number, not '{idText}'");
            return;
        }
        foreach (IAdminApp app in _targets.Apps().Where(app => appName is null || app.Name == appName))
        {
            int? pid = app.Status().Workers.FirstOrDefault(w => w.Id == id)?.Pid;
            StackDumpResult result = await app.DumpStackAsync(id);
            switch (result.Status)
            {
                case StackDumpStatus.NoSuchWorker:
                    continue;
                case StackDumpStatus.Dumped:
                    await WriteJsonAsync(context, 200, new StackAnswer(id, pid, result.Text), AdminJson.Api.StackAnswer);
                    return;
                case StackDumpStatus.Unavailable:
                    await WriteErrorAsync(context, 409, "", result.Text);
                    return;
                default:
                    await WriteErrorAsync(context, 504, "", result.Text);
                    return;
            }
        }
        await WriteErrorAsync(context, 404, "", $"no running worker {id}; GET /status lists them");
    }

    private static Task NoSuchAppAsync(HttpContext context, string name) =>
        WriteErrorAsync(context, 404, "", $"no app named '{name}'; GET /status lists them");

    private static async Task<ConfigurationChange> ChangeFromAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        return new ConfigurationChange(context.Request.ContentType ?? "", body.ToArray(), context.Request.Query["write"] == "1");
    }

    private static async Task WriteConfigurationAsync(HttpContext context, ConfigurationResult result)
    {
        if (result.Json is { } json)
        {
            context.Response.StatusCode = result.Status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(json);
            return;
        }
        await WriteJsonAsync(context, result.Status, new ErrorAnswer(result.Errors), AdminJson.Api.ErrorAnswer);
    }

    /// <summary>The body as <typeparamref name="T"/>, or null after answering 400 with where the JSON went wrong.
    /// <paramref name="keys"/> says what the object may hold, for the message.</summary>
    private static async Task<T?> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, string keys) where T : class
    {
        try
        {
            T? value = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted);
            if (value is null)
            {
                await WriteErrorAsync(context, 400, "$", "expected a JSON object, not null");
            }
            return value;
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line ? $" at line {line + 1}, byte {ex.BytePositionInLine + 1}" : "";
            await WriteErrorAsync(context, 400, ex.Path ?? "$", $"{Explain(ex, keys)}{where}");
            return null;
        }
    }

    /// <summary>
    /// System.Text.Json's messages name .NET types ("could not be converted to PyHost.Admin.Api.ScaleRequest"); an API
    /// user needs to hear which key is wrong and what it takes. The path is said apart, in the error's "path".
    /// </summary>
    private static string Explain(JsonException ex, string keys)
    {
        string message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"unknown key; the object takes {keys}";
        }
        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return ex.Path is null or "$" ? $"expected a JSON object with {keys}" : $"wrong type of value; the object takes {keys}";
        }
        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return $"the body is empty; expected a JSON object with {keys}";
        }
        int path = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return "invalid JSON: " + (path < 0 ? message : message[..path]).TrimEnd('.');
    }

    private static async Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
        await context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string path, string message) =>
        WriteJsonAsync(context, status, new ErrorAnswer([new ApiError(path, message)]), AdminJson.Api.ErrorAnswer);
}
