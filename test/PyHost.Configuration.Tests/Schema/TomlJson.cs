using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Tests.Schema;

/// <summary>TOML documents as JSON, and checks against docs/pyhost.schema.json, as an editor's validator would do them.</summary>
internal static class TomlJson
{
    private static readonly Lazy<JsonSchema> CommittedSchema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "docs", "pyhost.schema.json"))));

    public static JsonNode? ToJson(TomlNode node) => node switch
    {
        TomlTable table => new JsonObject(table.Entries.Select(entry => KeyValuePair.Create(entry.Key, ToJson(entry.Value)))),
        TomlArray array => new JsonArray(array.Items.Select(ToJson).ToArray()),
        TomlScalar { Value: string text } => JsonValue.Create(text),
        TomlScalar { Value: long number } => JsonValue.Create(number),
        TomlScalar { Value: double number } => JsonValue.Create(number),
        TomlScalar { Value: bool flag } => JsonValue.Create(flag),
        TomlScalar scalar => JsonValue.Create(scalar.Text),
        _ => throw new ArgumentException(node.GetType().Name),
    };

    /// <summary>The config part of a TOML file as JSON: the whole document, or [tool.pyhost] of a pyproject.toml.</summary>
    public static JsonNode ConfigAsJson(string text, string fileName)
    {
        var diagnostics = new DiagnosticBag();
        TomlTable root = TomlDocumentReader.Read(text, fileName, diagnostics) ?? throw new InvalidOperationException(string.Join("\n", diagnostics.Items));
        if (TomlConfigReader.IsPyProject(fileName))
        {
            root = (TomlTable)((TomlTable)root["tool"]!)["pyhost"]!;
        }
        return ToJson(root)!;
    }

    /// <summary>The schema's complaints about a document; empty when it is valid.</summary>
    public static IReadOnlyList<string> SchemaErrors(JsonNode document)
    {
        using JsonDocument json = JsonDocument.Parse(document.ToJsonString());
        EvaluationResults results = CommittedSchema.Value.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }
        return (results.Details ?? []).Where(detail => detail.Errors is { Count: > 0 })
            .SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation}: {error.Key}: {error.Value}")).DefaultIfEmpty("invalid").ToList();
    }
}
