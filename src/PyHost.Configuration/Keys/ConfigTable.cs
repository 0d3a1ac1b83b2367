using System.Collections;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys;

/// <summary>A table's keys, without its record type: what the schema and the docs walk.</summary>
public interface IConfigTable
{
    /// <summary>How the table is written in TOML: <c>[[site.route]]</c>, <c>[app.NAME]</c>.</summary>
    string Title { get; }

    string Description { get; }

    IReadOnlyList<IConfigKey> Keys { get; }
}

/// <summary>
/// The keys of one TOML table and the record they fill. A later feature adds a key by adding a property to the
/// record and one line here; the reader, <c>config --print</c>, the JSON Schema and the docs follow from it.
/// Unknown keys are errors, with the nearest known key as a suggestion.
/// </summary>
public sealed class ConfigTable<T>(string title, string description, Func<T> create) : IConfigTable, IEnumerable<IConfigKey<T>>
{
    private readonly List<IConfigKey<T>> _keys = [];
    private readonly List<Func<T, TomlTable, ReadContext, string, T>> _checks = [];

    public string Title { get; } = title;

    public string Description { get; } = description;

    public IReadOnlyList<IConfigKey> Keys => _keys;

    public IReadOnlyList<IConfigKey<T>> TypedKeys => _keys;

    public T Create() => create();

    public void Add<TValue>(string name, ValueType<TValue> type, string description, Func<T, TValue> get, Func<T, TValue, T> set, string? defaultDoc = null) =>
        _keys.Add(new ConfigKey<T, TValue>(name, type, description, get, set, defaultDoc, create));

    public void Add(IConfigKey<T> key) => _keys.Add(key);

    /// <summary>A check across the keys of one table (a route has exactly one target), run after its keys are read.</summary>
    public void Check(Func<T, TomlTable, ReadContext, string, T> check) => _checks.Add(check);

    public IConfigKey<T>? Find(string name) => _keys.FirstOrDefault(key => key.Name == name);

    public T Read(TomlTable node, ReadContext context, string path) => Read(create(), node, context, path);

    public T Read(T record, TomlTable node, ReadContext context, string path)
    {
        foreach (TomlEntry entry in node.Entries)
        {
            string keyPath = ReadContext.Join(path, entry.Key);
            IConfigKey<T>? key = Find(entry.Key);
            if (key is null)
            {
                string where = path.Length == 0 ? "at the top level" : $"in {path}";
                string? suggestion = Spelling.Suggest(entry.Key, _keys.Select(known => known.Name));
                context.Diagnostics.Error(entry.KeyOrigin, keyPath, $"unknown key '{entry.Key}' {where}",
                    suggestion is not null
                        ? $"did you mean '{suggestion}'?"
                        : $"the keys of {Title} are: {string.Join(", ", _keys.Select(known => known.Name))}");
                continue;
            }
            context.Origins[keyPath] = entry.KeyOrigin;
            record = key.Read(record, entry.Value, context, keyPath);
        }
        return Check(record, node, context, path);
    }

    /// <summary>
    /// The checks across keys alone, for a record made otherwise than by reading <paramref name="node"/> whole: the
    /// flags' editor sets keys one by one and passes the keys it set as <paramref name="node"/>.
    /// </summary>
    public T Check(T record, TomlTable node, ReadContext context, string path)
    {
        foreach (var check in _checks)
        {
            record = check(record, node, context, path);
        }
        return record;
    }

    public PrintedTable Print(T record) => new(_keys.Select(key => key.Print(record)).ToList());

    IEnumerator<IConfigKey<T>> IEnumerable<IConfigKey<T>>.GetEnumerator() => _keys.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _keys.GetEnumerator();
}
