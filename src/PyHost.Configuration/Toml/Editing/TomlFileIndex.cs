using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace PyHost.Configuration.Toml.Editing;

/// <summary>
/// Where each key and table of a pyhost.toml is in its text, by the path the model gives it: <c>[[site]]</c> headers
/// are numbered in order (<c>site[1]</c>), <c>[[site.route]]</c> under the latest <c>[[site]]</c>, dotted keys and
/// inline tables are followed down. Built from Tomlyn's syntax tree, which keeps every byte of the source.
/// </summary>
internal sealed class TomlFileIndex
{
    private readonly Dictionary<string, int> _arrayCounts = new(StringComparer.Ordinal);

    private TomlFileIndex(string text) => Text = text;

    public string Text { get; }

    /// <summary>The root and every <c>[header]</c> table, in the order they are written.</summary>
    public List<HeaderTable> Tables { get; } = [];

    public Dictionary<string, HeaderTable> TablesByPath { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, KeyEntry> Keys { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, InlineTableSyntax> InlineTables { get; } = new(StringComparer.Ordinal);

    /// <summary>The file's index, or null with the parser's first error when it is not valid TOML.</summary>
    public static TomlFileIndex? Build(string text, out string? error)
    {
        DocumentSyntax document = SyntaxParser.Parse(text, "pyhost.toml", true);
        if (document.HasErrors)
        {
            DiagnosticMessage first = document.Diagnostics.First(message => message.Kind == DiagnosticMessageKind.Error);
            error = $"the file is not valid TOML (line {first.Span.Start.Line + 1}: {first.Message})";
            return null;
        }
        error = null;
        var index = new TomlFileIndex(text);
        var root = new HeaderTable("", null, 0, 0);
        index.Add(root, document.KeyValues);
        foreach (TableSyntaxBase table in document.Tables)
        {
            index.Add(new HeaderTable(index.PathOf(table), table, index.LineStart(table.Span.Start.Offset), 0), table.Items);
        }
        return index;
    }

    private void Add(HeaderTable table, SyntaxList<KeyValueSyntax> items)
    {
        int end = table.Syntax is null ? 0 : LineEnd(End(table.Syntax.Name!));
        foreach (KeyValueSyntax item in items)
        {
            end = LineEnd(End(item.Value!));
        }
        table = table with { End = end };
        Tables.Add(table);
        TablesByPath[table.Path] = table;
        foreach (KeyValueSyntax item in items)
        {
            AddKey(table.Path, item, owner: null, table);
        }
    }

    private void AddKey(string tablePath, KeyValueSyntax item, InlineTableSyntax? owner, HeaderTable table)
    {
        string path = Join(tablePath, string.Join('.', TomlDocumentReader.KeyParts(item.Key!).Select(part => new PathStep(part).ToString())));
        Keys[path] = new KeyEntry(path, item, owner, table);
        if (item.Value is InlineTableSyntax nested)
        {
            InlineTables[path] = nested;
            foreach (InlineTableItemSyntax child in nested.Items)
            {
                AddKey(path, child.KeyValue!, nested, table);
            }
        }
    }

    /// <summary>A header's path: each name that is an array of tables so far means its latest item.</summary>
    private string PathOf(TableSyntaxBase table)
    {
        List<string> parts = TomlDocumentReader.KeyParts(table.Name!);
        string path = "";
        for (int at = 0; at < parts.Count; at++)
        {
            path = Join(path, new PathStep(parts[at]).ToString());
            if (at == parts.Count - 1 && table is TableArraySyntax)
            {
                int count = _arrayCounts.GetValueOrDefault(path);
                _arrayCounts[path] = count + 1;
                return $"{path}[{count}]";
            }
            if (_arrayCounts.TryGetValue(path, out int items))
            {
                path = $"{path}[{items - 1}]";
            }
        }
        return path;
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The offset just after a node (Tomlyn's span ends on its last character).</summary>
    public static int End(SyntaxNode node) => node.Span.End.Offset + 1;

    public int LineStart(int offset) => offset == 0 ? 0 : Text.LastIndexOf('\n', offset - 1) + 1;

    /// <summary>The offset after the end of the line <paramref name="offset"/> is on, its newline included.</summary>
    public int LineEnd(int offset)
    {
        int newline = Text.IndexOf('\n', Math.Min(offset, Text.Length));
        return newline < 0 ? Text.Length : newline + 1;
    }
}

/// <summary>A table of the file: the root (no syntax) or a header; its text runs from its header's line to the end of
/// the line of its last key (<see cref="End"/>, where a key added to it goes).</summary>
internal sealed record HeaderTable(string Path, TableSyntaxBase? Syntax, int Start, int End);

/// <summary>A key of the file; <see cref="Owner"/> is the inline table it is written in, if any.</summary>
internal sealed record KeyEntry(string Path, KeyValueSyntax KeyValue, InlineTableSyntax? Owner, HeaderTable Table);
