using System.Globalization;
using System.Text.Json.Nodes;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>A size: an integer of bytes, or text with a unit ("64KiB", "1MiB", "1GB").</summary>
public sealed class SizeType : ValueType<ByteSize>
{
    public override string Expected => "a size: bytes, or text such as \"64KiB\", \"1MiB\", \"1GB\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out ByteSize value)
    {
        value = default;
        switch (node)
        {
            case TomlScalar { Value: long bytes } when bytes >= 0:
                value = new ByteSize(bytes);
                return true;
            case TomlScalar { Value: long }:
                context.Error(node, path, "a size cannot be negative");
                return false;
            case TomlScalar { Value: string text }:
                if (ByteSize.TryParse(text, out string? error, out value))
                {
                    return true;
                }
                context.Error(node, path, $"\"{text}\": {error}");
                return false;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
    }

    public override PrintedValue Print(ByteSize value) => new InlineValue(TomlDocumentReader.Quote(value.ToString()));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = new JsonArray("integer", "string");
        schema["minimum"] = 0;
        schema["pattern"] = @"^\s*[0-9]+(\.[0-9]+)?\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB|k|m|g|K|M|G)?\s*$";
    }
}

/// <summary>
/// A size where 0 means "no limit", read as null: the model then has one way to say it, and a flag's 0 can undo a
/// file's limit (<c>--max-worker-memory 0</c>).
/// </summary>
public sealed class SizeOrNoLimitType : ValueType<ByteSize?>
{
    private static readonly SizeType Size = new();

    public override string Expected => Size.Expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out ByteSize? value)
    {
        bool ok = Size.TryRead(node, context, path, out ByteSize size);
        value = ok && size.Bytes > 0 ? size : null;
        return ok;
    }

    public override PrintedValue? Print(ByteSize? value) => value is { } size ? Size.Print(size) : null;

    public override void WriteSchema(JsonObject schema) => Size.WriteSchema(schema);
}

/// <summary>A duration: a number of seconds, or text with units ("500ms", "30s", "2m", "1h30m").</summary>
public sealed class DurationType : ValueType<TimeSpan>
{
    public override string Expected => "a duration: seconds, or text such as \"500ms\", \"30s\", \"2m\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        double seconds;
        switch (node)
        {
            case TomlScalar { Value: long whole }:
                seconds = whole;
                break;
            case TomlScalar { Value: double fraction }:
                seconds = fraction;
                break;
            case TomlScalar { Value: string text }:
                if (!DurationText.TryParse(text, out value, out string? error))
                {
                    context.Error(node, path, error);
                    return false;
                }
                return true;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
        if (seconds < 0 || double.IsNaN(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            context.Error(node, path, $"{seconds.ToString(CultureInfo.InvariantCulture)} is out of range: a duration is 0 or more seconds");
            return false;
        }
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public override PrintedValue Print(TimeSpan value) => new InlineValue(TomlDocumentReader.Quote(DurationText.Format(value)));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = new JsonArray("number", "string");
        schema["minimum"] = 0;
        schema["pattern"] = @"^\s*([0-9]+(\.[0-9]+)?\s*|([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+)$";
    }
}

/// <summary>
/// A Unix file mode: an integer (TOML's 0o660) or text in octal ("0660", "0o660", "660"). A mask (umask) is the same
/// with permission bits only, at most 0o777.
/// </summary>
public sealed class FileModeType(int maximum = 0xFFF, string expected = "a file mode: 0o660 or \"0660\"") : ValueType<int>
{
    public override string Expected => expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out int value)
    {
        value = 0;
        long mode;
        if (node is TomlScalar { Value: long number })
        {
            mode = number;
        }
        else if (node is TomlScalar { Value: string text } && TryParseOctal(text, out long parsed))
        {
            mode = parsed;
        }
        else
        {
            context.Expected(node, path, Expected, "write it in octal: TOML integers take 0o660, strings \"0660\"");
            return false;
        }
        if (mode < 0 || mode > maximum)
        {
            context.Error(node, path, $"{Convert.ToString(mode, 8)} (octal) is out of range: expected {expected}, at most 0o{Convert.ToString(maximum, 8)}");
            return false;
        }
        value = (int)mode;
        return true;
    }

    private static bool TryParseOctal(string text, out long value)
    {
        string digits = text.Trim();
        if (digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }
        value = 0;
        if (digits.Length is 0 or > 6 || digits.Any(c => c is < '0' or > '7'))
        {
            return false;
        }
        value = Convert.ToInt64(digits, 8);
        return true;
    }

    public override PrintedValue Print(int value) => new InlineValue("0o" + Convert.ToString(value, 8).PadLeft(3, '0'));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = new JsonArray("integer", "string");
        schema["minimum"] = 0;
        schema["maximum"] = maximum;
        schema["pattern"] = maximum > 0x1FF ? "^(0o)?[0-7]{1,6}$" : "^(0o)?0*[0-7]{1,3}$";
    }
}
