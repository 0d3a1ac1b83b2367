using System.Text.Json.Nodes;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>An array of values of one type: <c>["a.example", "b.example"]</c>. Items that may be tables (an upstream's
/// servers) put their table in the schema and the docs at <c>key[]</c>.</summary>
public sealed class ListType<T>(ValueType<T> item, bool splitCommasWhenLenient = false) : ValueType<IReadOnlyList<T>>, INestedPath
{
    public override string Expected => $"a list of {Plural(item.Expected)}";

    public override IConfigTable? Table => item.Table;

    public string ChildPathSuffix => "[]";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyList<T> value)
    {
        value = [];
        IEnumerable<TomlNode> items;
        if (node is TomlArray array)
        {
            items = array.Items;
        }
        else if (context.Lenient && node is TomlScalar { Value: string text })
        {
            // Flags and gunicorn settings write lists as one comma-separated string ("--pythonpath a,b").
            items = splitCommasWhenLenient
                ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => (TomlNode)TomlValues.Text(part, node.Origin))
                : [node];
        }
        else if (context.Lenient && node is TomlScalar)
        {
            items = [node];
        }
        else
        {
            context.Expected(node, path, Expected, node is TomlScalar ? "write a list in brackets, even for one item: [\"...\"]" : null);
            return false;
        }
        var values = new List<T>();
        bool ok = true;
        int index = 0;
        foreach (TomlNode element in items)
        {
            if (item.TryRead(element, context, $"{path}[{index}]", out T one))
            {
                values.Add(one);
            }
            else
            {
                ok = false;
            }
            index++;
        }
        value = values;
        return ok;
    }

    public override PrintedValue Print(IReadOnlyList<T> value) =>
        new InlineValue("[" + string.Join(", ", value.Select(one => item.Print(one) is InlineValue inline ? inline.Text : "")) + "]");

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "array";
        var items = new JsonObject();
        item.WriteSchema(items);
        schema["items"] = items;
    }

    private static string Plural(string expected) => expected.StartsWith("a ", StringComparison.Ordinal) ? expected[2..] + "s" : expected;
}

/// <summary>A table of string values with free keys: environment variables, response headers.</summary>
public sealed class StringMapType(string keyDescription) : ValueType<IReadOnlyDictionary<string, string>>
{
    public override string Expected => $"a table of {keyDescription} = \"string\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyDictionary<string, string> value)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        value = map;
        if (node is not TomlTable table)
        {
            context.Expected(node, path, Expected, "write it as { NAME = \"value\" } or as a [section]");
            return false;
        }
        bool ok = true;
        foreach (TomlEntry entry in table.Entries)
        {
            string keyPath = ReadContext.Join(path, entry.Key);
            context.Origins[keyPath] = entry.KeyOrigin;
            if (entry.Value is TomlScalar { Value: string text })
            {
                map[entry.Key] = text;
            }
            else if (context.Lenient && entry.Value is TomlScalar lenient)
            {
                map[entry.Key] = lenient.Text;
            }
            else
            {
                context.Expected(entry.Value, keyPath, "a string", "quote the value: NAME = \"8000\"");
                ok = false;
            }
        }
        return ok;
    }

    public override PrintedValue Print(IReadOnlyDictionary<string, string> value) =>
        new InlineValue(value.Count == 0 ? "{}" : "{ " + string.Join(", ", value.Select(pair => $"{TomlKey(pair.Key)} = {TomlDocumentReader.Quote(pair.Value)}")) + " }");

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "object";
        schema["additionalProperties"] = new JsonObject { ["type"] = "string" };
    }

    internal static string TomlKey(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? key : TomlDocumentReader.Quote(key);
}

/// <summary>
/// A null-able value: absent keys keep null ("not set"), and <c>config --print</c> writes them as a comment. The
/// inner type reads the value when it is there.
/// </summary>
public sealed class OptionalType<T>(ValueType<T> inner) : ValueType<T?> where T : class
{
    public ValueType<T> Inner { get; } = inner;

    public override string Expected => Inner.Expected;

    public override IConfigTable? Table => Inner.Table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T? value)
    {
        bool ok = Inner.TryRead(node, context, path, out T read);
        value = ok ? read : null;
        return ok;
    }

    public override PrintedValue? Print(T? value) => value is null ? null : Inner.Print(value);

    public override void WriteSchema(JsonObject schema) => Inner.WriteSchema(schema);
}

/// <summary><see cref="OptionalType{T}"/> for numbers, sizes, durations and other value types.</summary>
public sealed class OptionalValueType<T>(ValueType<T> inner) : ValueType<T?> where T : struct
{
    public override string Expected => inner.Expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T? value)
    {
        bool ok = inner.TryRead(node, context, path, out T read);
        value = ok ? read : null;
        return ok;
    }

    public override PrintedValue? Print(T? value) => value is { } present ? inner.Print(present) : null;

    public override void WriteSchema(JsonObject schema) => inner.WriteSchema(schema);
}

/// <summary>A key kept for a feature still to come: reading it is an error that says so, never silence.</summary>
public sealed class ReservedType<T>(string message, string? hint) : ValueType<T?> where T : class
{
    public override string Expected => "(not supported yet)";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T? value)
    {
        value = null;
        context.Error(node, path, message, hint);
        return false;
    }

    public override PrintedValue? Print(T? value) => null;

    public override void WriteSchema(JsonObject schema) => schema["not"] = new JsonObject();
}
