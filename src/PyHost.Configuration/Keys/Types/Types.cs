using System.Net;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Keys.Types;

/// <summary>The value types the tables use, by what they mean.</summary>
public static class Types
{
    public static readonly TextType Text = new();
    public static readonly TextType NonEmptyText = new("a non-empty string", text => text.Length == 0 ? ("it must not be empty", null) : null);
    public static readonly BooleanType Boolean = new();
    public static readonly SizeType Size = new();

    /// <summary>A size, 0 = no limit (null).</summary>
    public static readonly SizeOrNoLimitType SizeOrNoLimit = new();
    public static readonly DurationType Duration = new();
    public static readonly FileModeType FileMode = new();
    public static readonly FileModeType Umask = new(0x1FF, "a mode mask: 0o007 or \"007\"");
    public static readonly PathType Path = new();
    public static readonly PathType Directory = new("a directory path");

    /// <summary>A log target: a file path, or "-" for the standard stream.</summary>
    public static readonly PathType LogTarget = new("a file path or \"-\"", "-");

    /// <summary>An interpreter: a path, or a bare name looked up on PATH ("python3").</summary>
    public static readonly InterpreterType Interpreter = new();

    /// <summary>
    /// <c>"10.0.0.0/8"</c>, <c>"192.0.2.7"</c>, <c>"::1"</c>, <c>"*"</c> (any), or <c>"unix"</c> (unix-socket peers), read
    /// as the front reads --forwarded-allow-ips: no IPv4 shorthand ("10"), no zone, no host bits below the prefix.
    /// </summary>
    public static readonly TextType AddressRange = new("an IP address, a CIDR range, \"*\" or \"unix\"", text =>
        text is "*" || text.Equals("unix", StringComparison.OrdinalIgnoreCase) || AddressRules.TryParseBracketed(text, out _)
            ? null
            : ($"\"{text}\" is not an IP address or CIDR range", "write e.g. \"127.0.0.1\", \"10.0.0.0/8\", \"::1\", \"fd00::/8\", \"*\" or \"unix\""),
        pattern: null);

    public static WholeNumberType Count(int minimum = 0, int maximum = int.MaxValue) => new(minimum, maximum);

    public static ListType<T> List<T>(ValueType<T> item, bool splitCommasWhenLenient = false) => new(item, splitCommasWhenLenient);

    public static OptionalType<T> Optional<T>(ValueType<T> inner) where T : class => new(inner);

    public static OptionalValueType<T> OptionalValue<T>(ValueType<T> inner) where T : struct => new(inner);

    public static ChoiceType<T> Choice<T>(params (string Name, T Value)[] choices) => new(choices);

    public static TableType<T> Table<T>(ConfigTable<T> table, bool printInline = false) => new(table, printInline);

    public static TableArrayType<T> TableArray<T>(ConfigTable<T> table) => new(table);
}
