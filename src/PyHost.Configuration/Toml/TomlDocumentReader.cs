using System.Globalization;
using PyHost.Configuration.Diagnostics;
using Tomlyn.Parsing;
using Tomlyn.Syntax;
using TomlynTable = Tomlyn.Syntax.TableSyntaxBase;

namespace PyHost.Configuration.Toml;

/// <summary>
/// Parses TOML text with Tomlyn's syntax parser (which checks the grammar and TOML's rules: no key defined twice, no
/// table reopened) and builds the <see cref="TomlTable"/> tree the config reader walks. Syntax errors are reported
/// with their line and column and a hint, all of them, and no tree is built.
/// </summary>
public static class TomlDocumentReader
{
    public static TomlTable? Read(string text, string fileName, DiagnosticBag diagnostics)
    {
        DocumentSyntax document = SyntaxParser.Parse(text, fileName, true);
        if (document.HasErrors)
        {
            // The parser recovers and goes on, so one mistake often gives several messages on its line: keep the first.
            foreach (DiagnosticMessage message in document.Diagnostics.Where(message => message.Kind == DiagnosticMessageKind.Error).DistinctBy(message => message.Span.Start.Line))
            {
                var origin = new FileOrigin(fileName, message.Span.Start.Line + 1, message.Span.Start.Column + 1);
                if (message.Kind == DiagnosticMessageKind.Error)
                {
                    diagnostics.Error(origin, "", "invalid TOML: " + message.Message, HintFor(message.Message));
                }
            }
            return null;
        }

        var builder = new Builder(fileName);
        var root = new TomlTable(new FileOrigin(fileName, 1, 1));
        foreach (KeyValueSyntax keyValue in document.KeyValues)
        {
            builder.AddKeyValue(root, keyValue);
        }
        foreach (TomlynTable table in document.Tables)
        {
            TomlTable target = builder.OpenTable(root, table);
            foreach (KeyValueSyntax keyValue in table.Items)
            {
                builder.AddKeyValue(target, keyValue);
            }
        }
        return root;
    }

    private static string? HintFor(string message)
    {
        if (message.Contains("expecting a value", StringComparison.OrdinalIgnoreCase)
            || message.Contains("Unexpected token", StringComparison.OrdinalIgnoreCase))
        {
            return "TOML strings are quoted (module = \"app:app\"), lists are [\"a\", \"b\"], tables are { key = value }";
        }
        if (message.Contains("already defined", StringComparison.OrdinalIgnoreCase))
        {
            return "each key and each [table] may be written once; use [[name]] for a list of tables";
        }
        return null;
    }

    private sealed class Builder(string fileName)
    {
        private FileOrigin OriginOf(SyntaxNode? node) => node is null
            ? new FileOrigin(fileName, 0, 0)
            : new FileOrigin(fileName, node.Span.Start.Line + 1, node.Span.Start.Column + 1);

        public TomlTable OpenTable(TomlTable root, TomlynTable header)
        {
            List<string> path = KeyParts(header.Name!);
            FileOrigin origin = OriginOf(header);
            TomlTable parent = Descend(root, path.Take(path.Count - 1), origin);
            string last = path[^1];
            if (header is TableArraySyntax)
            {
                if (parent[last] is not TomlArray array)
                {
                    array = new TomlArray(origin, isArrayOfTables: true);
                    parent.Set(last, array, origin);
                }
                var item = new TomlTable(origin);
                array.Items.Add(item);
                return item;
            }
            if (parent[last] is TomlTable existing)
            {
                // Created implicitly by an earlier [a.b.c] header: it is defined here.
                existing.Origin = origin;
                parent.Set(last, existing, origin);
                return existing;
            }
            var table = new TomlTable(origin);
            parent.Set(last, table, origin);
            return table;
        }

        public void AddKeyValue(TomlTable table, KeyValueSyntax keyValue)
        {
            List<string> path = KeyParts(keyValue.Key!);
            FileOrigin keyOrigin = OriginOf(keyValue.Key);
            TomlTable parent = Descend(table, path.Take(path.Count - 1), keyOrigin);
            parent.Set(path[^1], Convert(keyValue.Value!), keyOrigin);
        }

        /// <summary>Follows (or creates) the tables a dotted name goes through; an array of tables means its last one.</summary>
        private static TomlTable Descend(TomlTable from, IEnumerable<string> keys, FileOrigin origin)
        {
            TomlTable current = from;
            foreach (string key in keys)
            {
                switch (current[key])
                {
                    case TomlTable child:
                        current = child;
                        break;
                    case TomlArray { IsArrayOfTables: true } array when array.Items[^1] is TomlTable last:
                        current = last;
                        break;
                    default:
                        var created = new TomlTable(origin);
                        current.Set(key, created, origin);
                        current = created;
                        break;
                }
            }
            return current;
        }

        private TomlNode Convert(ValueSyntax value)
        {
            FileOrigin origin = OriginOf(value);
            switch (value)
            {
                case StringValueSyntax text:
                    return new TomlScalar(text.Value ?? "", "a string", Quote(text.Value ?? ""), origin);
                case IntegerValueSyntax integer:
                    return new TomlScalar(integer.Value, "an integer", integer.Value.ToString(CultureInfo.InvariantCulture), origin);
                case FloatValueSyntax number:
                    return new TomlScalar(number.Value, "a float", number.Value.ToString("R", CultureInfo.InvariantCulture), origin);
                case BooleanValueSyntax boolean:
                    return new TomlScalar(boolean.Value, "a boolean", boolean.Value ? "true" : "false", origin);
                case DateTimeValueSyntax dateTime:
                    return new TomlScalar(dateTime.Value, "a date-time", dateTime.Token?.Text ?? dateTime.Value.ToString(), origin);
                case ArraySyntax array:
                    var list = new TomlArray(origin, isArrayOfTables: false);
                    foreach (ArrayItemSyntax item in array.Items)
                    {
                        list.Items.Add(Convert(item.Value!));
                    }
                    return list;
                case InlineTableSyntax inline:
                    var table = new TomlTable(origin);
                    foreach (InlineTableItemSyntax item in inline.Items)
                    {
                        AddKeyValue(table, item.KeyValue!);
                    }
                    return table;
                default:
                    throw new InvalidOperationException($"unexpected TOML syntax node {value.GetType().Name}");
            }
        }
    }

    /// <summary>A key's dotted parts, unquoted: <c>app."my.app".env</c> is app, my.app, env.</summary>
    internal static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key!) };
        foreach (DottedKeyItemSyntax dotted in key.DotKeys)
        {
            parts.Add(KeyText(dotted.Key!));
        }
        return parts;
    }

    private static string KeyText(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key!.Text!,
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => throw new InvalidOperationException($"unexpected TOML key node {key.GetType().Name}"),
    };

    /// <summary>A string as a TOML basic string, for messages and for <c>config --print</c>.</summary>
    public static string Quote(string text)
    {
        var quoted = new System.Text.StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append(c);
                    }
                    break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
