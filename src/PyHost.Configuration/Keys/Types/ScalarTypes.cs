using System.Globalization;
using System.Text.Json.Nodes;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>A string; an optional check returns an error message (and hint) for values it refuses.</summary>
public sealed class TextType(string expected = "a string", Func<string, (string Message, string? Hint)?>? check = null, string? pattern = null)
    : ValueType<string>
{
    public override string Expected => expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out string value)
    {
        value = "";
        if (node is TomlScalar { Value: string text })
        {
            value = text;
        }
        else if (context.Lenient && node is TomlScalar { Value: long or double or bool } scalar)
        {
            value = scalar.Text;
        }
        else
        {
            context.Expected(node, path, expected, node is TomlScalar ? "quote it: TOML strings are written in \"double quotes\"" : null);
            return false;
        }
        if (check?.Invoke(value) is { } problem)
        {
            context.Error(node, path, problem.Message, problem.Hint);
            return false;
        }
        return true;
    }

    public override PrintedValue Print(string value) => new InlineValue(TomlDocumentReader.Quote(value));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        if (pattern is not null)
        {
            schema["pattern"] = pattern;
        }
    }
}

public sealed class BooleanType : ValueType<bool>
{
    public override string Expected => "true or false";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out bool value)
    {
        value = false;
        if (node is TomlScalar { Value: bool flag })
        {
            value = flag;
            return true;
        }
        if (context.Lenient && node is TomlScalar { Value: string text })
        {
            switch (text.Trim().ToLowerInvariant())
            {
                case "true" or "1" or "yes" or "on":
                    value = true;
                    return true;
                case "false" or "0" or "no" or "off":
                    return true;
            }
        }
        context.Expected(node, path, Expected, node is TomlScalar { Value: string } && !context.Lenient ? "write true or false without quotes" : null);
        return false;
    }

    public override PrintedValue Print(bool value) => new InlineValue(value ? "true" : "false");

    public override void WriteSchema(JsonObject schema) => schema["type"] = "boolean";
}

/// <summary>A whole number within bounds: counts, ports, status codes.</summary>
public sealed class WholeNumberType(int minimum = 0, int maximum = int.MaxValue, string? expected = null) : ValueType<int>
{
    public override string Expected => expected ?? (maximum == int.MaxValue
        ? minimum == 0 ? "a whole number, 0 or more" : $"a whole number of at least {minimum}"
        : $"a whole number from {minimum} to {maximum}");

    public override bool TryRead(TomlNode node, ReadContext context, string path, out int value)
    {
        value = 0;
        long number;
        if (node is TomlScalar { Value: long integer })
        {
            number = integer;
        }
        else if (context.Lenient && node is TomlScalar { Value: string text }
                 && long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
        {
            number = parsed;
        }
        else
        {
            context.Expected(node, path, Expected, node is TomlScalar { Value: string } && !context.Lenient ? "write the number without quotes" : null);
            return false;
        }
        if (number < minimum || number > maximum)
        {
            context.Error(node, path, $"{number} is out of range: expected {Expected}");
            return false;
        }
        value = (int)number;
        return true;
    }

    public override PrintedValue Print(int value) => new InlineValue(value.ToString(CultureInfo.InvariantCulture));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "integer";
        schema["minimum"] = minimum;
        if (maximum != int.MaxValue)
        {
            schema["maximum"] = maximum;
        }
    }
}

/// <summary>
/// One of a fixed set of names (<c>level = "warning"</c>). Values from flags and gunicorn files match regardless of
/// case, and may use the aliases those tools use (gunicorn's <c>proxy_protocol = "auto"</c>).
/// </summary>
public sealed class ChoiceType<T>(IReadOnlyList<(string Name, T Value)> choices, IReadOnlyDictionary<string, T>? lenientAliases = null)
    : ValueType<T>
{
    public IReadOnlyList<(string Name, T Value)> Choices { get; } = choices;

    public override string Expected => "one of " + string.Join(", ", Choices.Select(choice => $"\"{choice.Name}\""));

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T value)
    {
        value = default!;
        if (node is not TomlScalar { Value: string text } && !(context.Lenient && node is TomlScalar { Value: bool or long }))
        {
            context.Expected(node, path, Expected);
            return false;
        }
        string written = node is TomlScalar { Value: string s } ? s : ((TomlScalar)node).Text;
        StringComparison comparison = context.Lenient ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var (name, choice) in Choices)
        {
            if (string.Equals(name, written, comparison))
            {
                value = choice;
                return true;
            }
        }
        if (context.Lenient && lenientAliases is not null
            && lenientAliases.FirstOrDefault(alias => string.Equals(alias.Key, written, comparison)) is { Key: not null } found)
        {
            value = found.Value;
            return true;
        }
        string? suggestion = Diagnostics.Spelling.Suggest(written, Choices.Select(choice => choice.Name));
        context.Error(node, path, $"\"{written}\" is not {Expected}", suggestion is null ? null : $"did you mean \"{suggestion}\"?");
        return false;
    }

    public override PrintedValue Print(T value) =>
        new InlineValue(TomlDocumentReader.Quote(Choices.First(choice => EqualityComparer<T>.Default.Equals(choice.Value, value)).Name));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["enum"] = new JsonArray(Choices.Select(choice => (JsonNode)JsonValue.Create(choice.Name)!).ToArray());
    }
}
