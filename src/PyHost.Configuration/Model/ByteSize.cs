using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PyHost.Configuration.Model;

/// <summary>
/// A size in bytes, written as an integer of bytes or with a unit: <c>"64KiB"</c>, <c>"1MiB"</c>, <c>"2GiB"</c>
/// (powers of 1024), <c>"1KB"</c>, <c>"1MB"</c>, <c>"1GB"</c> (powers of 1000, as the SI units say), or nginx's
/// <c>"8k"</c>, <c>"1m"</c>, <c>"1g"</c> (powers of 1024, as nginx reads them).
/// </summary>
public readonly record struct ByteSize(long Bytes)
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
        ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30),
        ("B", 1),
    ];

    public static ByteSize FromMebibytes(long mebibytes) => new(mebibytes << 20);

    public static bool TryParse(string text, [NotNullWhen(false)] out string? error, out ByteSize size)
    {
        size = default;
        string trimmed = text.Trim();
        int split = 0;
        while (split < trimmed.Length && (char.IsAsciiDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }
        string number = trimmed[..split];
        string unit = trimmed[split..].Trim();
        long factor = 1;
        if (number.Length == 0)
        {
            error = "a size is a number of bytes or a number with a unit, such as 64KiB, 1MiB or 1GB";
            return false;
        }
        if (unit.Length > 0)
        {
            int at = Array.FindIndex(Units, candidate => candidate.Unit == unit);
            if (at < 0)
            {
                error = $"'{unit}' is not a size unit (use B, KiB, MiB, GiB, KB, MB, GB, or nginx's k, m, g)";
                return false;
            }
            factor = Units[at].Factor;
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal amount))
        {
            error = "a size is a number of bytes or a number with a unit, such as 64KiB, 1MiB or 1GB";
            return false;
        }
        decimal bytes = amount * factor;
        if (bytes > long.MaxValue || bytes != decimal.Truncate(bytes))
        {
            error = "a size must be a whole number of bytes";
            return false;
        }
        size = new ByteSize((long)bytes);
        error = null;
        return true;
    }

    /// <summary>The shortest exact form: "64KiB", "1MiB", "1GB", else bytes.</summary>
    public override string ToString()
    {
        if (Bytes == 0)
        {
            return "0";
        }
        foreach (var (unit, factor) in new[] { ("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("GB", 1_000_000_000L), ("MB", 1_000_000L), ("KB", 1_000L) })
        {
            if (Bytes % factor == 0)
            {
                return (Bytes / factor).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }
        return Bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
