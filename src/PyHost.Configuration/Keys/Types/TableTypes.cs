using System.Text.Json.Nodes;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>A nested table (<c>[log]</c>, <c>limits = { ... }</c>, <c>redirect = { status, location }</c>).</summary>
public sealed class TableType<T>(ConfigTable<T> table, bool printInline = false) : ValueType<T>
{
    public override string Expected => "a table";

    public override IConfigTable Table => table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T value)
    {
        if (node is not TomlTable toml)
        {
            context.Expected(node, path, Expected, $"write it as {{ key = value, ... }} or as a [{path}] section");
            value = default!;
            return false;
        }
        int errorsBefore = context.Diagnostics.Items.Count(item => item.IsError);
        value = table.Read(toml, context, path);
        return context.Diagnostics.Items.Count(item => item.IsError) == errorsBefore;
    }

    public override PrintedValue Print(T value)
    {
        PrintedTable printed = table.Print(value);
        return printInline ? new InlineValue(InlineText(printed)) : printed;
    }

    internal static string InlineText(PrintedTable table)
    {
        var parts = table.Entries.Where(entry => entry.Value is InlineValue).Select(entry => $"{entry.Key} = {((InlineValue)entry.Value!).Text}").ToList();
        return parts.Count == 0 ? "{}" : "{ " + string.Join(", ", parts) + " }";
    }

    public override void WriteSchema(JsonObject schema) => schema["$ref"] = SchemaRefs.For(table);
}

/// <summary><c>[[listen]]</c>, <c>[[site]]</c>, <c>[[site.route]]</c>: a list of tables, in order.</summary>
public sealed class TableArrayType<T>(ConfigTable<T> table) : ValueType<IReadOnlyList<T>>, INestedPath
{
    public string ChildPathSuffix => "[]";

    public override string Expected => $"a list of tables ([[{table.Title.Trim('[', ']')}]])";

    public override IConfigTable Table => table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyList<T> value)
    {
        var items = new List<T>();
        value = items;
        if (node is not TomlArray array)
        {
            context.Expected(node, path, Expected, $"write each entry under its own {table.Title} header");
            return false;
        }
        bool ok = true;
        for (int index = 0; index < array.Items.Count; index++)
        {
            string itemPath = $"{path}[{index}]";
            if (array.Items[index] is not TomlTable item)
            {
                context.Expected(array.Items[index], itemPath, "a table");
                ok = false;
                continue;
            }
            context.Origins[itemPath] = item.Origin;
            items.Add(table.Read(item, context, itemPath));
        }
        return ok;
    }

    public override PrintedValue Print(IReadOnlyList<T> value) => new PrintedTableArray(value.Select(table.Print).ToList());

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "array";
        schema["items"] = new JsonObject { ["$ref"] = SchemaRefs.For(table) };
    }
}

/// <summary><c>[app.NAME]</c>: tables named by their key, in the order written; each record learns its name.</summary>
public sealed class TableMapType<T>(ConfigTable<T> table, Func<T, string> nameOf, Func<T, string, T> withName) : ValueType<IReadOnlyList<T>>, INestedPath
{
    public string ChildPathSuffix => ".*";

    private const string NamePattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";

    public override string Expected => $"tables named by key ({table.Title})";

    public override IConfigTable Table => table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyList<T> value)
    {
        var items = new List<T>();
        value = items;
        if (node is not TomlTable map)
        {
            context.Expected(node, path, Expected, $"write each one as a [{path}.NAME] section");
            return false;
        }
        bool ok = true;
        foreach (TomlEntry entry in map.Entries)
        {
            string itemPath = ReadContext.Join(path, entry.Key);
            if (!System.Text.RegularExpressions.Regex.IsMatch(entry.Key, NamePattern))
            {
                context.Diagnostics.Error(entry.KeyOrigin, itemPath, $"'{entry.Key}' is not a usable name",
                    "names are letters, digits, '_', '-' and '.', as in [app.blog]");
                ok = false;
                continue;
            }
            if (entry.Value is not TomlTable item)
            {
                context.Expected(entry.Value, itemPath, "a table", $"write it as a [{itemPath}] section");
                ok = false;
                continue;
            }
            context.Origins[itemPath] = entry.KeyOrigin;
            items.Add(table.Read(withName(table.Create(), entry.Key), item, context, itemPath));
        }
        return ok;
    }

    public override PrintedValue Print(IReadOnlyList<T> value) =>
        new PrintedTableMap(value.Select(item => new KeyValuePair<string, PrintedTable>(nameOf(item), table.Print(item))).ToList());

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "object";
        schema["propertyNames"] = new JsonObject { ["pattern"] = NamePattern };
        schema["additionalProperties"] = new JsonObject { ["$ref"] = SchemaRefs.For(table) };
    }
}

/// <summary>Where a table's schema is defined in <c>$defs</c>.</summary>
public static class SchemaRefs
{
    public static string For(IConfigTable table) => "#/$defs/" + DefinitionName(table);

    public static string DefinitionName(IConfigTable table) =>
        new string(table.Title.Where(c => char.IsAsciiLetterOrDigit(c) || c == '.').ToArray()).Replace("NAME", "", StringComparison.Ordinal).Trim('.').Replace('.', '_');
}
