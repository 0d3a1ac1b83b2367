using PyHost.Admin.Api;

namespace PyHost.Admin.Configuration;

/// <summary>A request to change the configuration: its body as sent (TOML or JSON, by content type), and whether the
/// result should also be written back to the config file (<c>?write=1</c>).</summary>
public sealed record ConfigurationChange(string ContentType, ReadOnlyMemory<byte> Body, bool WriteBack);

/// <summary>What a configuration endpoint answers: a status, a JSON body on success, or the errors with the key paths
/// they are about ("app.main.workers").</summary>
public sealed record ConfigurationResult(int Status, string? Json, IReadOnlyList<ApiError> Errors)
{
    public static ConfigurationResult Ok(string json) => new(200, json, []);

    public static ConfigurationResult Invalid(IReadOnlyList<ApiError> errors) => new(400, null, errors);
}

/// <summary>
/// The admin API's live configuration: <c>GET /config</c>, <c>PUT /config</c> and <c>PATCH /config/PATH</c> call this
/// and nothing else. The implementation validates with the configuration model, applies the change as a reload does,
/// and answers with the effective configuration or the errors.
/// </summary>
public interface IConfigurationEndpoint
{
    /// <summary>The effective configuration as JSON.</summary>
    ConfigurationResult Get();

    /// <summary>Replaces the whole configuration.</summary>
    Task<ConfigurationResult> ReplaceAsync(ConfigurationChange change, CancellationToken cancellation);

    /// <summary>Changes the value at a key path ("app/main/workers" in the URL, "app.main.workers" in errors).</summary>
    Task<ConfigurationResult> PatchAsync(string path, ConfigurationChange change, CancellationToken cancellation);
}
