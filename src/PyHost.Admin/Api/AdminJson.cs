using System.Text.Json;
using System.Text.Json.Serialization;
using PyHost.Workers.Observability;

namespace PyHost.Admin.Api;

/// <summary>The server itself, in <c>GET /status</c>.</summary>
public sealed record ServerInfo
{
    public required int Pid { get; init; }

    public required string Version { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double UptimeSeconds { get; init; }
}

/// <summary><c>GET /status</c>: the server, its listeners, every app's workers, queue and requests, and the
/// upstreams of the proxy routes in force (<see cref="UpstreamStatus"/>).</summary>
public sealed record StatusDocument
{
    public required ServerInfo Server { get; init; }

    public required IReadOnlyList<string> Listeners { get; init; }

    public required IReadOnlyList<AppStatus> Apps { get; init; }

    public IReadOnlyList<UpstreamStatus> Upstreams { get; init; } = [];
}

/// <summary>One problem with a request, with the JSON path (or config key path) it is about; "" for the whole.</summary>
public sealed record ApiError(string Path, string Message);

/// <summary>Every 4xx and 5xx answer of the API.</summary>
public sealed record ErrorAnswer(IReadOnlyList<ApiError> Errors);

/// <summary><c>POST /apps/NAME/reload</c>, optionally with why (it is in the log line).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ReloadRequest
{
    public string? Reason { get; init; }
}

public sealed record ReloadAnswer(bool Ok, string Message);

/// <summary><c>POST /apps/NAME/scale</c>: an absolute number of workers, or a change (+1, -1). An unknown key is an
/// error (a typo must not pass for a request that does nothing).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ScaleRequest
{
    public int? Workers { get; init; }

    public int? Delta { get; init; }
}

public sealed record ScaleAnswer(int Workers);

public sealed record StackAnswer(int Worker, int? Pid, string Stack);

public sealed record ErrorsDocument(IReadOnlyList<ErrorRecord> Errors);

/// <summary>System.Text.Json with source generation: no reflection, so the API works in a NativeAOT build.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(ErrorAnswer))]
[JsonSerializable(typeof(ReloadRequest))]
[JsonSerializable(typeof(ReloadAnswer))]
[JsonSerializable(typeof(ScaleRequest))]
[JsonSerializable(typeof(ScaleAnswer))]
[JsonSerializable(typeof(StackAnswer))]
[JsonSerializable(typeof(ErrorsDocument))]
public sealed partial class AdminJson : JsonSerializerContext
{
    /// <summary>The API's writer and reader: as <see cref="JsonSerializerContext.Default"/>'s options, and quotes, &lt;
    /// and non-ASCII text written as they are rather than as \u escapes (the answers are read by people too).</summary>
    public static AdminJson Api { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        RespectRequiredConstructorParameters = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
