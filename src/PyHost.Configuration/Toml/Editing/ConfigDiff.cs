using System.Text;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Toml.Editing;

/// <summary>
/// What changed between two configurations, at the level of pyhost.toml's keys: both are printed as
/// <c>config --print</c> does (so a value compares as the text it would be written as) and walked side by side.
/// Arrays of tables (<c>[[listen]]</c>, <c>[[site]]</c>, <c>[[site.route]]</c>) are matched by position, as the model
/// numbers them; named tables (<c>[app.NAME]</c>, <c>[upstream.NAME]</c>) by name.
/// </summary>
public static class ConfigDiff
{
    public static IReadOnlyList<ConfigEdit> Between(PyHostConfig before, PyHostConfig after)
    {
        var edits = new List<ConfigEdit>();
        CompareTables(PyHostConfig.Table.Print(before), PyHostConfig.Table.Print(after), PyHostConfig.Table, [], edits);
        return edits;
    }

    private static void CompareTables(PrintedTable before, PrintedTable after, IConfigTable table, IReadOnlyList<PathStep> path, List<ConfigEdit> edits)
    {
        foreach (PrintedEntry entry in after.Entries)
        {
            PrintedValue? old = before.Entries.FirstOrDefault(one => one.Key == entry.Key)?.Value;
            IValueType? type = KeyOf(table, entry.Key)?.Type;
            CompareValues(old, entry.Value, type?.Table, [.. path, new PathStep(entry.Key)], edits, IsPath(type));
        }
    }

    private static void CompareValues(PrintedValue? old, PrintedValue? now, IConfigTable? table, IReadOnlyList<PathStep> path, List<ConfigEdit> edits, bool isPath)
    {
        switch (old, now)
        {
            case (null, null):
                return;
            case (InlineValue before, InlineValue after) when before.Text == after.Text:
                return;
            case (InlineValue or null, InlineValue after):
                edits.Add(new SetKey(path, after.Text, isPath));
                return;
            case (InlineValue, null):
                edits.Add(new RemoveKey(path));
                return;
            case (PrintedTable before, PrintedTable after):
                CompareTables(before, after, table!, path, edits);
                return;
            case (null, PrintedTable after):
                edits.Add(new AddTable(path, Render(after, table!, path)));
                return;
            case (PrintedTable or PrintedTableArray or PrintedTableMap, null):
                edits.Add(new RemoveTable(path));
                return;
            case (PrintedTableArray before, PrintedTableArray after):
                CompareArrays(before.Items, after.Items, table!, path, edits);
                return;
            case (null, PrintedTableArray after):
                CompareArrays([], after.Items, table!, path, edits);
                return;
            case (PrintedTableMap before, PrintedTableMap after):
                CompareMaps(before.Tables, after.Tables, table!, path, edits);
                return;
            case (null, PrintedTableMap after):
                CompareMaps([], after.Tables, table!, path, edits);
                return;
            default:
                edits.Add(new UnmappableChange(path, $"{PathStep.Join(path)} changed its kind of value"));
                return;
        }
    }

    private static void CompareArrays(IReadOnlyList<PrintedTable> before, IReadOnlyList<PrintedTable> after, IConfigTable table, IReadOnlyList<PathStep> path, List<ConfigEdit> edits)
    {
        PathStep array = path[^1];
        IReadOnlyList<PathStep> parent = path.Take(path.Count - 1).ToList();
        for (int index = 0; index < Math.Max(before.Count, after.Count); index++)
        {
            IReadOnlyList<PathStep> item = [.. parent, array with { Index = index }];
            if (index >= after.Count)
            {
                edits.Add(new RemoveTable(item));
            }
            else if (index >= before.Count)
            {
                edits.Add(new AddTable(item, Render(after[index], table, item)));
            }
            else
            {
                CompareTables(before[index], after[index], table, item, edits);
            }
        }
    }

    private static void CompareMaps(IReadOnlyList<KeyValuePair<string, PrintedTable>> before, IReadOnlyList<KeyValuePair<string, PrintedTable>> after,
        IConfigTable table, IReadOnlyList<PathStep> path, List<ConfigEdit> edits)
    {
        var old = before.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
        foreach (var (name, now) in after)
        {
            IReadOnlyList<PathStep> item = [.. path, new PathStep(name)];
            if (old.TryGetValue(name, out PrintedTable? was))
            {
                CompareTables(was, now, table, item, edits);
            }
            else
            {
                edits.Add(new AddTable(item, Render(now, table, item)));
            }
        }
        var kept = after.Select(pair => pair.Key).ToHashSet(StringComparer.Ordinal);
        edits.AddRange(before.Where(pair => !kept.Contains(pair.Key)).Select(pair => new RemoveTable([.. path, new PathStep(pair.Key)])));
    }

    /// <summary>
    /// A new table as TOML: its header, the keys whose value is not the key's default (a new <c>[app.NAME]</c> pins
    /// what was set, not every default), then its own tables.
    /// </summary>
    private static string Render(PrintedTable printed, IConfigTable table, IReadOnlyList<PathStep> path)
    {
        var text = new StringBuilder();
        Render(text, printed, table, path, always: true);
        return text.ToString();
    }

    private static void Render(StringBuilder text, PrintedTable printed, IConfigTable table, IReadOnlyList<PathStep> path, bool always)
    {
        var keys = new List<string>();
        foreach (PrintedEntry entry in printed.Entries)
        {
            if (entry.Value is InlineValue value && !(KeyOf(table, entry.Key)?.DefaultValue is InlineValue fallback && fallback.Text == value.Text))
            {
                keys.Add($"{new PathStep(entry.Key).TomlKey} = {value.Text}");
            }
        }
        if (always || keys.Count > 0)
        {
            string name = string.Join('.', path.Select(step => step.TomlKey));
            text.Append(text.Length == 0 ? "" : "\n").Append(path[^1].Index is null ? $"[{name}]" : $"[[{name}]]").Append('\n');
            foreach (string line in keys)
            {
                text.Append(line).Append('\n');
            }
        }
        foreach (PrintedEntry entry in printed.Entries)
        {
            IConfigTable? child = KeyOf(table, entry.Key)?.Type.Table;
            IReadOnlyList<PathStep> here = [.. path, new PathStep(entry.Key)];
            switch (entry.Value)
            {
                case PrintedTable nested:
                    Render(text, nested, child!, here, always: false);
                    break;
                case PrintedTableArray array:
                    for (int index = 0; index < array.Items.Count; index++)
                    {
                        Render(text, array.Items[index], child!, [.. path, new PathStep(entry.Key, index)], always: true);
                    }
                    break;
                case PrintedTableMap map:
                    foreach (var (name, nested) in map.Tables)
                    {
                        Render(text, nested, child!, [.. here, new PathStep(name)], always: true);
                    }
                    break;
            }
        }
    }

    private static bool IsPath(IValueType? type) => type is PathType or OptionalType<string> { Inner: PathType };

    private static IConfigKey? KeyOf(IConfigTable table, string name) => table.Keys.FirstOrDefault(key => key.Name == name);
}
