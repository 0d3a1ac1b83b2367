using System.Text.RegularExpressions;

namespace PyHost.Configuration.Toml.Editing;

/// <summary>
/// One step of a key's path in pyhost.toml: a key, and for an item of an array of tables (<c>[[site]]</c>) its
/// position. <c>site[0].route[1].app</c> is three steps.
/// </summary>
public readonly partial record struct PathStep(string Key, int? Index = null)
{
    /// <summary>The key as TOML writes it: bare when it can be, else quoted (<c>app."my.app"</c>).</summary>
    public string TomlKey => BareKey().IsMatch(Key) ? Key : TomlDocumentReader.Quote(Key);

    public override string ToString() => Index is { } index ? $"{TomlKey}[{index}]" : TomlKey;

    /// <summary>The path's one spelling, used to match a change against the file: <c>site[0].route[1].app</c>.</summary>
    public static string Join(IEnumerable<PathStep> path) => string.Join('.', path);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex BareKey();
}

/// <summary>
/// What a change of the configuration changed, key by key, in pyhost.toml's terms (<see cref="ConfigDiff"/>): what
/// <see cref="TomlFileEditor"/> writes into the user's file, leaving the rest of it as it was.
/// </summary>
public abstract record ConfigEdit(IReadOnlyList<PathStep> Path)
{
    public string PathText => PathStep.Join(Path);
}

/// <summary><c>key = Value</c>: a key whose value changed or which was not set before. Value is TOML, as printed
/// (a path absolute, as the model keeps it); <paramref name="IsPath"/> for a key whose value is a file or directory.</summary>
public sealed record SetKey(IReadOnlyList<PathStep> Path, string Value, bool IsPath = false) : ConfigEdit(Path);

/// <summary>A key that is no longer set.</summary>
public sealed record RemoveKey(IReadOnlyList<PathStep> Path) : ConfigEdit(Path);

/// <summary>A new table (<c>[app.NAME]</c>, an added <c>[[site]]</c>), written whole: its header and its keys.</summary>
public sealed record AddTable(IReadOnlyList<PathStep> Path, string Text) : ConfigEdit(Path);

/// <summary>A table that is gone (an app, the last <c>[[site]]</c>s), with the tables under it.</summary>
public sealed record RemoveTable(IReadOnlyList<PathStep> Path) : ConfigEdit(Path);

/// <summary>A change with no counterpart in the file's terms; writing it is refused with <paramref name="Reason"/>.</summary>
public sealed record UnmappableChange(IReadOnlyList<PathStep> Path, string Reason) : ConfigEdit(Path);
