using PyHost.Configuration.Diagnostics;

namespace PyHost.Configuration.Toml;

/// <summary>
/// A TOML value with the place it was written: the semantic tree (tables merged, dotted keys expanded, arrays of
/// tables collected) that the config reader walks, built from Tomlyn's lossless syntax tree so that every value,
/// key and array item keeps its file:line:column.
/// </summary>
public abstract class TomlNode
{
    protected TomlNode(SettingOrigin origin) => Origin = origin;

    public SettingOrigin Origin { get; internal set; }

    /// <summary>The TOML type's name, for "expected a string, got an integer".</summary>
    public abstract string KindName { get; }
}

/// <summary>A string, integer, float, boolean or date-time.</summary>
public sealed class TomlScalar : TomlNode
{
    public TomlScalar(object value, string kindName, string text, SettingOrigin origin) : base(origin)
    {
        Value = value;
        KindName = kindName;
        Text = text;
    }

    /// <summary>string, long, double, bool, or Tomlyn's TomlDateTime.</summary>
    public object Value { get; }

    public override string KindName { get; }

    /// <summary>The value as written in the file, for messages.</summary>
    public string Text { get; }
}

public sealed class TomlArray : TomlNode
{
    public TomlArray(SettingOrigin origin, bool isArrayOfTables) : base(origin) => IsArrayOfTables = isArrayOfTables;

    public List<TomlNode> Items { get; } = [];

    /// <summary>True for <c>[[name]]</c> headers, false for an inline <c>[...]</c> value.</summary>
    public bool IsArrayOfTables { get; }

    public override string KindName => "an array";
}

public sealed class TomlTable : TomlNode
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<TomlEntry> _entries = [];

    public TomlTable(SettingOrigin origin) : base(origin)
    {
    }

    /// <summary>The entries in the order they were written.</summary>
    public IReadOnlyList<TomlEntry> Entries => _entries;

    public override string KindName => "a table";

    public TomlNode? this[string key] => _index.TryGetValue(key, out int at) ? _entries[at].Value : null;

    public TomlEntry? Entry(string key) => _index.TryGetValue(key, out int at) ? _entries[at] : null;

    public void Set(string key, TomlNode value, SettingOrigin keyOrigin)
    {
        if (_index.TryGetValue(key, out int at))
        {
            _entries[at] = new TomlEntry(key, value, keyOrigin);
            return;
        }
        _index[key] = _entries.Count;
        _entries.Add(new TomlEntry(key, value, keyOrigin));
    }
}

/// <summary>One key of a table: where the key was written, and its value.</summary>
public sealed record TomlEntry(string Key, TomlNode Value, SettingOrigin KeyOrigin);

/// <summary>Values that did not come from TOML (a flag, a variable, a gunicorn setting) as nodes, so one reader checks all.</summary>
public static class TomlValues
{
    public static TomlScalar Text(string text, SettingOrigin origin) => new(text, "a string", TomlDocumentReader.Quote(text), origin);

    public static TomlScalar Integer(long value, SettingOrigin origin) =>
        new(value, "an integer", value.ToString(System.Globalization.CultureInfo.InvariantCulture), origin);

    public static TomlScalar Boolean(bool value, SettingOrigin origin) => new(value, "a boolean", value ? "true" : "false", origin);

    public static TomlArray List(IEnumerable<TomlNode> items, SettingOrigin origin)
    {
        var array = new TomlArray(origin, isArrayOfTables: false);
        array.Items.AddRange(items);
        return array;
    }
}
