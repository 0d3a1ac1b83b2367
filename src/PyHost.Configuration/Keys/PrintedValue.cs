namespace PyHost.Configuration.Keys;

/// <summary>A value as <c>config --print</c> writes it: inline TOML, or a table, list of tables or named tables.</summary>
public abstract record PrintedValue;

/// <summary><c>key = TEXT</c>: scalars, arrays, inline tables.</summary>
public sealed record InlineValue(string Text) : PrintedValue;

/// <summary>A <c>[table]</c>.</summary>
public sealed record PrintedTable(IReadOnlyList<PrintedEntry> Entries) : PrintedValue;

/// <summary><c>[[name]]</c> entries.</summary>
public sealed record PrintedTableArray(IReadOnlyList<PrintedTable> Items) : PrintedValue;

/// <summary><c>[name.KEY]</c> tables, one per key.</summary>
public sealed record PrintedTableMap(IReadOnlyList<KeyValuePair<string, PrintedTable>> Tables) : PrintedValue;

/// <summary>One key; a null value is a key not set, written as a comment with <paramref name="UnsetNote"/>.</summary>
public sealed record PrintedEntry(string Key, PrintedValue? Value, string? UnsetNote = null);
