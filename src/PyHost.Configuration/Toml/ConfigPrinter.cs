using System.Text;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Toml;

/// <summary>
/// Writes a model as TOML that PyHost reads back: every key, with defaults filled in, each value followed by
/// <c># from: ...</c> saying where it came from (a flag, a file's line, the environment, a default). Keys not set
/// are comments. This is <c>pyhost config --print</c>.
/// </summary>
public static class ConfigPrinter
{
    public static string Print(PyHostConfig config)
    {
        var output = new StringBuilder();
        output.Append("# The effective PyHost configuration").Append(config.SourceFile is null ? "" : $" (config file: {config.SourceFile})")
              .Append(". Each value says where it came from.\n");
        WriteTable(output, PyHostConfig.Table.Print(config), header: null, path: "", config.Provenance);
        return output.ToString();
    }

    private static void WriteTable(StringBuilder output, PrintedTable table, string? header, string path, ConfigProvenance provenance)
    {
        var lines = new List<(string Text, string Comment)>();
        foreach (PrintedEntry entry in table.Entries)
        {
            string keyPath = ReadContext.Join(path, entry.Key);
            switch (entry.Value)
            {
                case InlineValue inline:
                    lines.Add(($"{entry.Key} = {inline.Text}", "from: " + provenance.Of(keyPath).Describe()));
                    break;
                case null:
                    lines.Add(($"# {entry.Key}", entry.UnsetNote ?? "not set"));
                    break;
            }
        }
        if (header is not null || lines.Count > 0)
        {
            output.Append('\n');
        }
        if (header is not null)
        {
            output.Append(header).Append('\n');
        }
        int width = lines.Count == 0 ? 0 : Math.Min(48, lines.Max(line => line.Text.Length));
        foreach (var (text, comment) in lines)
        {
            output.Append(text.PadRight(width)).Append("  # ").Append(comment).Append('\n');
        }

        string prefix = header is null ? "" : HeaderName(header) + ".";
        foreach (PrintedEntry entry in table.Entries)
        {
            string keyPath = ReadContext.Join(path, entry.Key);
            switch (entry.Value)
            {
                case PrintedTable child:
                    WriteTable(output, child, $"[{prefix}{entry.Key}]", keyPath, provenance);
                    break;
                case PrintedTableArray array:
                    for (int i = 0; i < array.Items.Count; i++)
                    {
                        WriteTable(output, array.Items[i], $"[[{prefix}{entry.Key}]]", $"{keyPath}[{i}]", provenance);
                    }
                    break;
                case PrintedTableMap map:
                    foreach (var (name, child) in map.Tables)
                    {
                        WriteTable(output, child, $"[{prefix}{entry.Key}.{Keys.Types.StringMapType.TomlKey(name)}]", $"{keyPath}.{name}", provenance);
                    }
                    break;
            }
        }
    }

    /// <summary>"[[site.route]]" → "site.route": the dotted name nested headers extend.</summary>
    private static string HeaderName(string header) => header.Trim('[', ']');
}
