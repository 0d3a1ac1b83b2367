using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Gunicorn;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

/// <summary>One setting's value as given, with where it was given.</summary>
public sealed record GivenSetting(ServeSetting Setting, TomlNode Value, SettingOrigin Origin);

/// <summary>The settings an argument list gives, in order; <see cref="Value"/> finds the command-only ones.</summary>
public sealed record ParsedArguments(IReadOnlyList<GivenSetting> Settings)
{
    public static ParsedArguments Empty { get; } = new([]);

    public string? Value(string name) => Settings.LastOrDefault(given => given.Setting.Name == name)?.Value is TomlScalar scalar ? scalar.Value as string ?? scalar.Text : null;

    public GivenSetting? Given(string name) => Settings.LastOrDefault(given => given.Setting.Name == name);

    public bool Has(string name) => Settings.Any(given => given.Setting.Name == name);
}

/// <summary>
/// Reads <c>pyhost serve</c> arguments against <see cref="ServeSettings"/>, GNU style as gunicorn's argparse does:
/// <c>--name value</c>, <c>--name=value</c>, <c>-w 4</c>, <c>-w4</c>, switches alone, <c>--</c> ending the flags, one
/// positional APP. A gunicorn flag PyHost lacks is a warning naming it (and its value is skipped); any other
/// unknown flag is an error with the nearest known one.
/// </summary>
public static class ArgumentParser
{
    /// <param name="originOf">Where a flag was given: <c>flag --workers</c>, or <c>env GUNICORN_CMD_ARGS (--workers)</c>.</param>
    public static ParsedArguments Parse(IReadOnlyList<string> arguments, Func<string, SettingOrigin> originOf, DiagnosticBag diagnostics)
    {
        var settings = new List<GivenSetting>();
        var repeated = new Dictionary<ServeSetting, (List<TomlNode> Values, SettingOrigin Origin)>();
        bool flagsEnded = false;
        for (int i = 0; i < arguments.Count; i++)
        {
            string argument = arguments[i];
            if (!flagsEnded && argument == "--")
            {
                flagsEnded = true;
                continue;
            }
            if (flagsEnded || !argument.StartsWith('-') || argument == "-")
            {
                ServeSetting app = ServeSettings.ByName("app");
                if (settings.Any(given => given.Setting == app))
                {
                    diagnostics.Error(originOf("APP"), "", $"unexpected argument '{argument}': APP was already given", "flags start with - or --; quote values with spaces");
                    continue;
                }
                SettingOrigin appOrigin = originOf("APP");
                settings.Add(new GivenSetting(app, TomlValues.Text(argument, appOrigin), appOrigin));
                continue;
            }

            string flag = argument;
            string? attached = null;
            int equals = argument.IndexOf('=');
            if (argument.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                flag = argument[..equals];
                attached = argument[(equals + 1)..];
            }
            else if (!argument.StartsWith("--", StringComparison.Ordinal) && argument.Length > 2)
            {
                flag = argument[..2];   // -w4
                attached = argument[2..];
            }

            ServeSetting? setting = ServeSettings.ByFlag(flag);
            SettingOrigin origin = originOf(flag);
            if (setting is null)
            {
                if (GunicornUnsupported.ByFlag(flag) is { } unsupported)
                {
                    diagnostics.Warning(origin, "", $"gunicorn's {flag} is not supported by PyHost, ignored: {unsupported.Reason}");
                    if (unsupported.TakesValue && attached is null)
                    {
                        i++;
                    }
                    continue;
                }
                string? suggestion = Spelling.Suggest(flag.TrimStart('-'), ServeSettings.All.SelectMany(known => known.Flags).Where(known => known.StartsWith("--", StringComparison.Ordinal)).Select(known => known[2..]));
                diagnostics.Error(origin, "", $"unknown flag {flag}", suggestion is null ? "see pyhost serve --help" : $"did you mean --{suggestion}?");
                continue;
            }

            TomlNode value;
            switch (setting.Arity)
            {
                case SettingArity.Switch:
                    if (attached is not null)
                    {
                        diagnostics.Error(origin, "", $"{flag} takes no value ('{attached}')");
                        continue;
                    }
                    value = TomlValues.Boolean(true, origin);
                    break;
                case SettingArity.OptionalValue:
                    if (attached is null && i + 1 < arguments.Count && setting.OptionalValues!.Contains(arguments[i + 1]))
                    {
                        attached = arguments[++i];
                    }
                    value = TomlValues.Text(attached ?? setting.OptionalDefault!, origin);
                    break;
                default:
                    if (attached is null)
                    {
                        if (i + 1 >= arguments.Count)
                        {
                            diagnostics.Error(origin, "", $"{flag} needs a value", setting.Description);
                            continue;
                        }
                        attached = arguments[++i];
                    }
                    value = TomlValues.Text(attached, origin);
                    break;
            }

            if (setting.Arity == SettingArity.Repeatable)
            {
                if (!repeated.TryGetValue(setting, out var collected))
                {
                    collected = ([], origin);
                    repeated[setting] = collected;
                    settings.Add(new GivenSetting(setting, TomlValues.List([], origin), origin));   // placed at its first use
                }
                collected.Values.Add(value);
                continue;
            }
            settings.Add(new GivenSetting(setting, value, origin));
        }
        // Repeatable flags are one setting with every value given, in order.
        var result = settings.Select(given => repeated.TryGetValue(given.Setting, out var collected)
            ? given with { Value = TomlValues.List(collected.Values, collected.Origin) }
            : given).ToList();
        return new ParsedArguments(result);
    }
}
