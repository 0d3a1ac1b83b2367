using System.Text;
using PyHost.Admin.Api;
using PyHost.Admin.Configuration;
using PyHost.Configuration;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Json;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;
using PyHost.Configuration.Validation;

namespace PyHost.Hosting.Admin;

/// <summary>
/// The admin API's live configuration. <c>GET /config</c> is the running configuration as JSON; <c>PUT /config</c>
/// (JSON, or TOML as in pyhost.toml) and <c>PATCH /config/PATH</c> (a JSON value) make a new one, which is completed
/// and checked as a file is (every error with its key path: 400) and then applied by <see cref="ServerControl.ApplyAsync"/>,
/// the path SIGHUP and <c>pyhost reload</c> take: new apps boot first, changed ones reload generation by generation,
/// no request is dropped. A change lives until the next reload from the sources (flags, file); <c>?write=1</c> also
/// writes what it changed into the pyhost.toml the server runs from, in place (<see cref="ConfigWriteBack"/>; flags
/// still win over the file at the next reload).
/// </summary>
public sealed class LiveConfiguration(ServerHost server, ServerControl control) : IConfigurationEndpoint
{
    private const string Source = "admin API";

    public ConfigurationResult Get() => ConfigurationResult.Ok(JsonConfigForm.Write(server.Config));

    public async Task<ConfigurationResult> ReplaceAsync(ConfigurationChange change, CancellationToken cancellation)
    {
        var diagnostics = new DiagnosticBag();
        string text = Encoding.UTF8.GetString(change.Body.Span);
        string baseDirectory = BaseDirectory();
        PyHostConfig? next = IsToml(change.ContentType)
            ? TomlConfigReader.Read(text, "PUT /config", baseDirectory, diagnostics)
            : JsonConfigForm.Read(text, "PUT /config", baseDirectory, diagnostics);
        return await ApplyAsync(next, diagnostics, change.WriteBack, "PUT /config");
    }

    public async Task<ConfigurationResult> PatchAsync(string path, ConfigurationChange change, CancellationToken cancellation)
    {
        var diagnostics = new DiagnosticBag();
        string keyPath = path.Replace('/', '.');
        string? patched = JsonConfigForm.Patch(JsonConfigForm.Write(server.Config), keyPath, Encoding.UTF8.GetString(change.Body.Span), Source, diagnostics);
        PyHostConfig? next = patched is null ? null : JsonConfigForm.Read(patched, $"PATCH /config/{path}", BaseDirectory(), diagnostics);
        return await ApplyAsync(next, diagnostics, change.WriteBack, $"PATCH /config/{path}");
    }

    private async Task<ConfigurationResult> ApplyAsync(PyHostConfig? next, DiagnosticBag diagnostics, bool writeBack, string reason)
    {
        PyHostConfig? given = next;
        PyHostConfig running = server.Config;
        if (next is not null)
        {
            next = ConfigCompletion.Complete(next with { SourceFile = running.SourceFile, SourceText = running.SourceText }, ConfigEnvironment.Current(), diagnostics);
            ConfigValidator.Validate(next, diagnostics);
        }
        if (next is null || given is null || diagnostics.HasErrors)
        {
            return ConfigurationResult.Invalid(diagnostics.Items.Where(item => item.IsError).Select(ErrorOf).ToList());
        }
        ConfigWriteBack? write = null;
        if (writeBack)
        {
            if (WritableFile() is not { } target)
            {
                return Conflict("?write=1 needs the server to run from a pyhost.toml file; it runs from "
                                + (running.SourceFile is { } file ? file : "flags only") + ". The change was not applied.");
            }
            // What the change changed is found against the change as given, before the server fills in defaults, so
            // those are not pinned in the file.
            if (!ConfigWriteBack.TryPrepare(target, running, given, out write, out string? refusal))
            {
                return Conflict(refusal);
            }
            next = next with { SourceText = write.Text };
        }
        string outcome = await control.ApplyAsync(next, $"admin API: {reason}");
        if (!outcome.StartsWith("ok", StringComparison.Ordinal))
        {
            return new ConfigurationResult(422, null, [new ApiError("", outcome)]);
        }
        if (write is not null && !write.TryWrite(out string? notWritten))
        {
            return Conflict(notWritten);
        }
        return ConfigurationResult.Ok(JsonConfigForm.Write(server.Config));
    }

    private static ConfigurationResult Conflict(string message) => new(409, null, [new ApiError("", message)]);

    /// <summary>The error's key path in the API's dotted form ("app.main.workers"), what is wrong, and the hint.</summary>
    private static ApiError ErrorOf(ConfigDiagnostic diagnostic)
    {
        string where = diagnostic.Origin is FileOrigin or JsonOrigin ? $" ({diagnostic.Origin.Describe()})" : "";
        return new ApiError(diagnostic.KeyPath, diagnostic.Message + where + (diagnostic.Hint is null ? "" : $"; hint: {diagnostic.Hint}"));
    }

    private static bool IsToml(string contentType) =>
        contentType.StartsWith("application/toml", StringComparison.OrdinalIgnoreCase)
        || contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase);

    private string BaseDirectory() =>
        server.Config.SourceFile is { } file ? Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/" : Environment.CurrentDirectory;

    /// <summary>The pyhost.toml to write a change back to; null when the server runs from flags, a pyproject.toml
    /// (its other tables are not ours to rewrite) or a gunicorn .py file.</summary>
    private string? WritableFile() =>
        server.Config.SourceFile is { } file && file.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) && !TomlConfigReader.IsPyProject(file)
            ? Path.GetFullPath(file)
            : null;
}
