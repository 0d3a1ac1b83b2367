using System.Text.Json;
using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Schema;

/// <summary>
/// Writes the JSON Schema (draft 2020-12) of pyhost.toml from the same tables the reader uses, so the two cannot
/// disagree. Editors (Taplo / Even Better TOML) validate and explain keys with it; docs/pyhost.schema.json is its
/// output, checked by a test.
/// </summary>
public static class JsonSchemaWriter
{
    public static string Generate()
    {
        JsonObject schema = TableSchema(ConfigTables.Root);
        var ordered = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "PyHost configuration (pyhost.toml, or [tool.pyhost] in pyproject.toml)",
        };
        foreach (var (name, value) in schema)
        {
            ordered[name] = value?.DeepClone();
        }
        var definitions = new JsonObject();
        foreach (IConfigTable table in ConfigTables.All().Skip(1))
        {
            definitions[SchemaRefs.DefinitionName(table)] = TableSchema(table);
        }
        ordered["$defs"] = definitions;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            ordered.WriteTo(writer);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    private static JsonObject TableSchema(IConfigTable table)
    {
        var properties = new JsonObject();
        foreach (IConfigKey key in table.Keys)
        {
            var property = new JsonObject { ["description"] = Describe(key) };
            key.Type.WriteSchema(property);
            properties[key.Name] = property;
        }
        return new JsonObject
        {
            ["description"] = table.Description,
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
    }

    /// <summary>The description, and the default unless the description already says it.</summary>
    private static string Describe(IConfigKey key) =>
        ReferenceDocWriter.DefaultText(key) is { } defaultText && !key.Description.Contains("Default:", StringComparison.Ordinal)
            ? $"{key.Description} Default: {defaultText}."
            : key.Description;
}
