using System.Text.Json.Nodes;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys;

/// <summary>How a value of a key is written in TOML: read (with errors), printed, and described in the JSON Schema.</summary>
public interface IValueType
{
    /// <summary>"a whole number of at least 1": the end of "expected ..." messages, and the type column of the docs.</summary>
    string Expected { get; }

    /// <summary>The table a table-valued type holds, for the schema and the docs; null for plain values.</summary>
    IConfigTable? Table { get; }

    /// <summary>Adds this type's constraints to a JSON Schema object (draft 2020-12).</summary>
    void WriteSchema(JsonObject schema);
}

/// <summary>A type whose children sit at a path with a suffix: "[]" for [[arrays]], ".*" for [named.TABLES].</summary>
public interface INestedPath
{
    string ChildPathSuffix { get; }
}

public abstract class ValueType<T> : IValueType
{
    public abstract string Expected { get; }

    public virtual IConfigTable? Table => null;

    /// <summary>Reads the node into a value, or adds an error naming the path and returns false.</summary>
    public abstract bool TryRead(TomlNode node, ReadContext context, string path, out T value);

    /// <summary>The value as TOML; null when the value is "not set".</summary>
    public abstract PrintedValue? Print(T value);

    public abstract void WriteSchema(JsonObject schema);
}
