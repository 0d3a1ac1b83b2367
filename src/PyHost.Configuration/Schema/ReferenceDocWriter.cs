using System.Text;
using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Gunicorn;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Schema;

/// <summary>
/// Writes the key reference of docs/configuration.md from the reader's tables (and the flag table), so the docs
/// name every key the reader takes and no other; a test compares the committed file with this output.
/// </summary>
public static class ReferenceDocWriter
{
    public const string Start = "<!-- reference:start (generated from the reader's tables; do not edit by hand) -->";
    public const string End = "<!-- reference:end -->";

    public static string Generate()
    {
        var text = new StringBuilder();
        foreach (IConfigTable table in ConfigTables.All().Skip(1))
        {
            text.Append("\n### `").Append(table.Title).Append("`\n\n").Append(table.Description).Append("\n\n");
            text.Append("| key | value | default | meaning |\n|---|---|---|---|\n");
            foreach (IConfigKey key in table.Keys)
            {
                text.Append("| `").Append(key.Name).Append("` | ").Append(Cell(key.Type.Expected)).Append(" | ")
                    .Append(Cell(DefaultText(key) ?? "—")).Append(" | ").Append(Cell(key.Description)).Append(" |\n");
            }
        }
        text.Append("\n### Command-line flags\n\n")
            .Append("Each flag of `pyhost serve`, what it sets in the model, and the gunicorn config-file setting that means the same. ")
            .Append("`listen[*]` is every listener, `site[*]` every site (a site for the flags' app is made when there is none), ")
            .Append("`site[*].route[*]` every route of the kind named. A flag given twice takes its last value; a repeatable one adds each.\n\n")
            .Append("| flags | sets | gunicorn setting | meaning |\n|---|---|---|---|\n");
        foreach (ServeSetting setting in ServeSettings.All)
        {
            string flags = setting.Flags.Count == 0 ? "APP (argument)" : string.Join(", ", setting.Flags.Select(flag => $"`{flag}`"));
            text.Append("| ").Append(flags).Append(" | ").Append(setting.Sets is null ? "— (steers the command)" : SetsCell(setting.Sets))
                .Append(" | ").Append(setting.GunicornName is null ? "—" : $"`{setting.GunicornName}`")
                .Append(" | ").Append(Cell(setting.Description)).Append(" |\n");
        }
        text.Append("\n### gunicorn settings PyHost does not have\n\n")
            .Append("Setting one of these in a gunicorn config file or in `GUNICORN_CMD_ARGS` prints a warning naming it.\n\n")
            .Append("| gunicorn setting | why |\n|---|---|\n");
        foreach (GunicornUnsupported.Setting setting in GunicornUnsupported.All)
        {
            text.Append("| `").Append(setting.Name).Append("` | ").Append(Cell(setting.Reason)).Append(" |\n");
        }
        return text.ToString();
    }

    /// <summary>The default as written in TOML (or as the key documents it); null for keys with none.</summary>
    public static string? DefaultText(IConfigKey key)
    {
        if (key.DefaultDoc is not null)
        {
            return key.DefaultDoc;
        }
        PrintedValue? printed = key.DefaultValue;
        return printed is InlineValue inline && inline.Text is not ("[]" or "{}" or "\"\"") ? inline.Text : null;
    }

    /// <summary>"`site[*].error_pages` (per status)": the key path as code, what follows it as words.</summary>
    private static string SetsCell(string sets)
    {
        int space = sets.IndexOf(' ');
        return sets.StartsWith('—') ? Cell(sets) : space < 0 ? $"`{sets}`" : $"`{sets[..space]}`{Cell(sets[space..])}";
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
