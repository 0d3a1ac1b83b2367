using System.Text.Json;
using System.Text.Json.Serialization;

namespace PyHost.Configuration.Gunicorn;

/// <summary>What <c>read_gunicorn_config.py</c> prints: the module's settings, or the error that stopped it.</summary>
public sealed class GunicornConfigOutput
{
    [JsonPropertyName("settings")]
    public Dictionary<string, GunicornValue> Settings { get; set; } = [];

    [JsonPropertyName("error")]
    public GunicornError? Error { get; set; }
}

public sealed class GunicornValue
{
    /// <summary>bool, int, float, str, none, list, dict, callable or other.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("value")]
    public JsonElement Value { get; set; }

    [JsonPropertyName("line")]
    public int Line { get; set; }
}

public sealed class GunicornError
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("message")]
    public string Message { get; set; } = "";

    [JsonPropertyName("line")]
    public int Line { get; set; }

    [JsonPropertyName("traceback")]
    public string Traceback { get; set; } = "";
}

/// <summary>Source-generated JSON metadata: no reflection, so NativeAOT can build it.</summary>
[JsonSerializable(typeof(GunicornConfigOutput))]
internal sealed partial class GunicornJsonContext : JsonSerializerContext;
