using System.Globalization;
using System.Text;
using System.Text.Json;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Json;

/// <summary>Where a value of a JSON configuration came from: the admin API's request, and the key's JSON path.</summary>
public sealed record JsonOrigin(string Source, string Path) : SettingOrigin
{
    public override string Describe() => Path.Length == 0 ? Source : $"{Source} at {Path}";
}

/// <summary>
/// The configuration as JSON, for the admin API (<c>GET/PUT /config</c>, <c>PATCH /config/PATH</c>): the same keys
/// and values as pyhost.toml, tables as objects and arrays of tables as arrays of objects. Written from what
/// <see cref="ConfigPrinter"/> prints (so every default shows), and read through the same key tables as a file, so
/// a value is checked, and its error named by key path, exactly as in pyhost.toml.
/// </summary>
public static class JsonConfigForm
{
    /// <summary>The effective configuration as a JSON object.</summary>
    public static string Write(PyHostConfig config)
    {
        var quiet = new DiagnosticBag();
        TomlTable root = TomlDocumentReader.Read(ConfigPrinter.Print(config), "effective configuration", quiet)
                         ?? throw new InvalidOperationException("the printed configuration does not read back: " + string.Join("; ", quiet.Items));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            WriteNode(json, root);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>
    /// Reads a JSON object as a configuration; null with the errors in <paramref name="diagnostics"/> when it is not
    /// one. <paramref name="source"/> names it in messages; relative paths are relative to <paramref name="baseDirectory"/>.
    /// </summary>
    public static PyHostConfig? Read(string json, string source, string baseDirectory, DiagnosticBag diagnostics)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
            diagnostics.Error(new JsonOrigin(source, ""), "", $"invalid JSON{where}: {FirstSentence(ex.Message)}");
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                diagnostics.Error(new JsonOrigin(source, "$"), "", "the configuration is a JSON object, {\"app\": {...}, \"listen\": [...], ...}");
                return null;
            }
            if (ToNode(document.RootElement, source, "$", "", diagnostics) is not TomlTable root)
            {
                return null;
            }
            var origins = new Dictionary<string, SettingOrigin>(StringComparer.Ordinal);
            var context = new Keys.ReadContext(diagnostics, origins, baseDirectory);
            int errorsBefore = diagnostics.Items.Count(item => item.IsError);
            PyHostConfig config = PyHostConfig.Table.Read(root, context, "");
            if (diagnostics.Items.Count(item => item.IsError) > errorsBefore)
            {
                return null;
            }
            return config with { Provenance = new ConfigProvenance(origins) };
        }
    }

    /// <summary>
    /// The configuration <paramref name="currentJson"/> with the value at <paramref name="keyPath"/> ("app.main.workers",
    /// "listen.0.address": a number picks an array item) replaced by <paramref name="valueJson"/>; null (and the error)
    /// when the path leads nowhere or the value is not JSON. A missing last key of an object is added.
    /// </summary>
    public static string? Patch(string currentJson, string keyPath, string valueJson, string source, DiagnosticBag diagnostics)
    {
        System.Text.Json.Nodes.JsonNode? value;
        try
        {
            value = System.Text.Json.Nodes.JsonNode.Parse(valueJson);
        }
        catch (JsonException ex)
        {
            diagnostics.Error(new JsonOrigin(source, ""), keyPath, $"the new value is not JSON: {FirstSentence(ex.Message)}",
                "send the value itself: 4, \"app:app\", true, [\"a\", \"b\"] or {...}");
            return null;
        }
        System.Text.Json.Nodes.JsonNode root = System.Text.Json.Nodes.JsonNode.Parse(currentJson)!;
        string[] keys = keyPath.Split('.');
        System.Text.Json.Nodes.JsonNode parent = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            System.Text.Json.Nodes.JsonNode? next = Child(parent, keys[i]);
            if (next is null)
            {
                diagnostics.Error(new JsonOrigin(source, ""), string.Join('.', keys[..(i + 1)]), "no such key in the configuration",
                    "GET /config shows the keys; a new table is added by PATCHing its parent with the whole table");
                return null;
            }
            parent = next;
        }
        string last = keys[^1];
        switch (parent)
        {
            case System.Text.Json.Nodes.JsonObject table:
                table[last] = value;
                break;
            case System.Text.Json.Nodes.JsonArray array when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index <= array.Count:
                if (index == array.Count)
                {
                    array.Add(value);
                }
                else
                {
                    array[index] = value;
                }
                break;
            default:
                diagnostics.Error(new JsonOrigin(source, ""), keyPath, "no such key in the configuration", "GET /config shows the keys");
                return null;
        }
        return root.ToJsonString();
    }

    private static System.Text.Json.Nodes.JsonNode? Child(System.Text.Json.Nodes.JsonNode node, string key) => node switch
    {
        System.Text.Json.Nodes.JsonObject table => table[key],
        System.Text.Json.Nodes.JsonArray array when int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < array.Count => array[index],
        _ => null,
    };

    private static void WriteNode(Utf8JsonWriter json, TomlNode node)
    {
        switch (node)
        {
            case TomlTable table:
                json.WriteStartObject();
                foreach (TomlEntry entry in table.Entries)
                {
                    json.WritePropertyName(entry.Key);
                    WriteNode(json, entry.Value);
                }
                json.WriteEndObject();
                break;
            case TomlArray array:
                json.WriteStartArray();
                foreach (TomlNode item in array.Items)
                {
                    WriteNode(json, item);
                }
                json.WriteEndArray();
                break;
            case TomlScalar { Value: string text }:
                json.WriteStringValue(text);
                break;
            case TomlScalar { Value: long integer }:
                json.WriteNumberValue(integer);
                break;
            case TomlScalar { Value: double number }:
                json.WriteNumberValue(number);
                break;
            case TomlScalar { Value: bool boolean }:
                json.WriteBooleanValue(boolean);
                break;
            case TomlScalar scalar:
                json.WriteStringValue(scalar.Text);
                break;
        }
    }

    /// <summary>JSON as the TOML tree the key tables read: objects are tables, arrays of objects arrays of tables.</summary>
    private static TomlNode? ToNode(JsonElement element, string source, string jsonPath, string keyPath, DiagnosticBag diagnostics)
    {
        var origin = new JsonOrigin(source, jsonPath);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var table = new TomlTable(origin);
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    string childKey = Keys.ReadContext.Join(keyPath, property.Name);
                    if (ToNode(property.Value, source, $"{jsonPath}.{property.Name}", childKey, diagnostics) is { } child)
                    {
                        table.Set(property.Name, child, new JsonOrigin(source, $"{jsonPath}.{property.Name}"));
                    }
                }
                return table;
            case JsonValueKind.Array:
                bool ofTables = element.GetArrayLength() > 0 && element.EnumerateArray().All(item => item.ValueKind == JsonValueKind.Object);
                var array = new TomlArray(origin, ofTables);
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (ToNode(item, source, $"{jsonPath}[{index}]", $"{keyPath}[{index}]", diagnostics) is { } child)
                    {
                        array.Items.Add(child);
                    }
                    index++;
                }
                return array;
            case JsonValueKind.String:
                return TomlValues.Text(element.GetString()!, origin);
            case JsonValueKind.Number when element.TryGetInt64(out long integer):
                return TomlValues.Integer(integer, origin);
            case JsonValueKind.Number:
                double number = element.GetDouble();
                return new TomlScalar(number, "a float", number.ToString("R", CultureInfo.InvariantCulture), origin);
            case JsonValueKind.True or JsonValueKind.False:
                return TomlValues.Boolean(element.GetBoolean(), origin);
            default:
                diagnostics.Error(origin, keyPath, "null is not a value here", "leave the key out for its default");
                return null;
        }
    }

    /// <summary>System.Text.Json's message without the position it appends (" LineNumber: 0 | …", " Path: $…"),
    /// which the caller says in its own words.</summary>
    private static string FirstSentence(string message)
    {
        foreach (string tail in (string[])[" LineNumber: ", " Path: "])
        {
            int at = message.IndexOf(tail, StringComparison.Ordinal);
            if (at >= 0)
            {
                message = message[..at];
            }
        }
        return message.TrimEnd('.', ' ');
    }
}
