using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys;

/// <summary>One key of a table, without its record type: what the schema and the docs need.</summary>
public interface IConfigKey
{
    string Name { get; }

    string Description { get; }

    IValueType Type { get; }

    /// <summary>The default as the docs say it; null to print the default record's value.</summary>
    string? DefaultDoc { get; }

    /// <summary>The value of a fresh record, as TOML; null when not set.</summary>
    PrintedValue? DefaultValue { get; }
}

public interface IConfigKey<TRecord> : IConfigKey
{
    /// <summary>The record with this key's value read from the node; on an error, the record unchanged.</summary>
    TRecord Read(TRecord record, TomlNode node, ReadContext context, string path);

    PrintedEntry Print(TRecord record);
}

/// <summary>A key that reads into one property of an immutable record: a getter and a <c>with</c>-setter.</summary>
public sealed class ConfigKey<TRecord, TValue>(
    string name, ValueType<TValue> type, string description, Func<TRecord, TValue> get, Func<TRecord, TValue, TRecord> set,
    string? defaultDoc = null, Func<TRecord>? create = null) : IConfigKey<TRecord>
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public IValueType Type => type;

    public string? DefaultDoc { get; } = defaultDoc;

    public PrintedValue? DefaultValue => create is null ? null : type.Print(get(create()));

    public TRecord Read(TRecord record, TomlNode node, ReadContext context, string path) =>
        type.TryRead(node, context, path, out TValue value) ? set(record, value) : record;

    public PrintedEntry Print(TRecord record) => new(Name, type.Print(get(record)), DefaultDoc is null ? "not set" : $"not set: {DefaultDoc}");
}
