using System.Text;

namespace PyHost.Gateways.Mongrel2;

/// <summary>The tnetstring types Mongrel2 uses (tnetstrings.org; Mongrel2 manual, "TNetStrings Alternative Protocol").</summary>
public enum TNetstringType : byte
{
    String = (byte)',',
    Integer = (byte)'#',
    Boolean = (byte)'!',
    Null = (byte)'~',
    Dictionary = (byte)'}',
    List = (byte)']',
}

/// <summary>One tnetstring value: <c>SIZE ":" DATA TYPE</c>, where the type character tags the data.</summary>
public sealed class TNetstring
{
    private TNetstring(TNetstringType type)
    {
        Type = type;
    }

    public TNetstringType Type { get; }

    /// <summary>A string's raw bytes: tnetstring strings are bytes, not text.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private init; }

    public long Integer { get; private init; }

    public bool Boolean { get; private init; }

    public IReadOnlyList<TNetstring> Items { get; private init; } = [];

    /// <summary>A dictionary's entries in their order on the wire; keys are strings, read as latin-1.</summary>
    public IReadOnlyList<KeyValuePair<string, TNetstring>> Entries { get; private init; } = [];

    public static readonly TNetstring Null = new(TNetstringType.Null);

    public static TNetstring FromBytes(ReadOnlyMemory<byte> bytes) => new(TNetstringType.String) { Bytes = bytes };

    /// <summary>A string from latin-1 text, each char one byte.</summary>
    public static TNetstring FromLatin1(string text) => FromBytes(Encoding.Latin1.GetBytes(text));

    public static TNetstring FromInteger(long value) => new(TNetstringType.Integer) { Integer = value };

    public static TNetstring FromBoolean(bool value) => new(TNetstringType.Boolean) { Boolean = value };

    public static TNetstring FromList(IReadOnlyList<TNetstring> items) => new(TNetstringType.List) { Items = items };

    public static TNetstring FromEntries(IReadOnlyList<KeyValuePair<string, TNetstring>> entries)
        => new(TNetstringType.Dictionary) { Entries = entries };

    /// <summary>A string's bytes as latin-1 text.</summary>
    public string Latin1 => Encoding.Latin1.GetString(Bytes.Span);

    public override string ToString() => Type switch
    {
        TNetstringType.String => $"'{Latin1}'",
        TNetstringType.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        TNetstringType.Boolean => Boolean ? "true" : "false",
        TNetstringType.Null => "null",
        TNetstringType.List => "[" + string.Join(", ", Items) + "]",
        _ => "{" + string.Join(", ", Entries.Select(entry => $"'{entry.Key}': {entry.Value}")) + "}",
    };
}
