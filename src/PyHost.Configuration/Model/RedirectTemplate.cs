using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// A redirect's location with placeholders: <c>{scheme}</c>, <c>{host}</c>, <c>{path}</c>, <c>{query}</c> (with its
/// '?', or empty) and <c>{uri}</c> (path and query). <c>{{</c> and <c>}}</c> are literal braces. Checked when read, so
/// a typo is an error at load, not a broken redirect.
/// </summary>
public sealed record RedirectTemplate
{
    public static readonly IReadOnlyList<string> Placeholders = ["scheme", "host", "path", "query", "uri"];

    public static RedirectTemplate Empty { get; } = new("");

    private RedirectTemplate(string text) => Text = text;

    public string Text { get; }

    public static bool TryParse(string text, [NotNullWhen(true)] out RedirectTemplate? template, [NotNullWhen(false)] out string? error)
    {
        template = null;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '{' && i + 1 < text.Length && text[i + 1] == '{' || text[i] == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                i++;
                continue;
            }
            if (text[i] == '}')
            {
                error = $"'}}' at {i + 1} closes nothing (write '}}}}' for a brace)";
                return false;
            }
            if (text[i] != '{')
            {
                continue;
            }
            int close = text.IndexOf('}', i);
            if (close < 0)
            {
                error = $"'{{' at {i + 1} is not closed (write '{{{{' for a brace)";
                return false;
            }
            string name = text[(i + 1)..close];
            if (!Placeholders.Contains(name))
            {
                string? suggestion = Diagnostics.Spelling.Suggest(name, Placeholders);
                error = $"unknown placeholder {{{name}}}" + (suggestion is null ? "" : $"; did you mean {{{suggestion}}}?") + " (known: {scheme}, {host}, {path}, {query}, {uri})";
                return false;
            }
            i = close;
        }
        if (text.Length == 0)
        {
            error = "the location is empty";
            return false;
        }
        template = new RedirectTemplate(text);
        error = null;
        return true;
    }

    /// <summary>The location for one request: <paramref name="query"/> is without '?'; empty means none.</summary>
    public string Expand(string scheme, string host, string path, string query)
    {
        var result = new StringBuilder(Text.Length + path.Length + query.Length);
        for (int i = 0; i < Text.Length; i++)
        {
            char c = Text[i];
            if ((c == '{' || c == '}') && i + 1 < Text.Length && Text[i + 1] == c)
            {
                result.Append(c);
                i++;
                continue;
            }
            if (c != '{')
            {
                result.Append(c);
                continue;
            }
            int close = Text.IndexOf('}', i);
            string withQuestionMark = query.Length == 0 ? "" : "?" + query;
            result.Append(Text[(i + 1)..close] switch
            {
                "scheme" => scheme,
                "host" => host,
                "path" => path,
                "query" => withQuestionMark,
                _ => path + withQuestionMark,
            });
            i = close;
        }
        return result.ToString();
    }

    public override string ToString() => Text;
}

public sealed class RedirectTemplateType : Keys.ValueType<RedirectTemplate>
{
    public override string Expected => "a URL or path, with {scheme}, {host}, {path}, {query}, {uri} placeholders";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out RedirectTemplate value)
    {
        value = RedirectTemplate.Empty;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected);
            return false;
        }
        if (!RedirectTemplate.TryParse(text, out RedirectTemplate? template, out string? error))
        {
            context.Error(node, path, error, "e.g. \"https://{host}{uri}\" or \"/new{path}\"");
            return false;
        }
        value = template;
        return true;
    }

    public override PrintedValue Print(RedirectTemplate value) => new InlineValue(TomlDocumentReader.Quote(value.Text));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["minLength"] = 1;
    }
}

/// <summary>A number from a short list (redirect statuses).</summary>
public sealed class ChoiceNumberType(IReadOnlyList<int> allowed) : Keys.ValueType<int>
{
    public override string Expected => "one of " + string.Join(", ", allowed);

    public override bool TryRead(TomlNode node, ReadContext context, string path, out int value)
    {
        value = 0;
        if (node is TomlScalar { Value: long number } && allowed.Contains((int)number) && number == (int)number)
        {
            value = (int)number;
            return true;
        }
        context.Expected(node, path, Expected);
        return false;
    }

    public override PrintedValue Print(int value) => new InlineValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "integer";
        schema["enum"] = new JsonArray(allowed.Select(number => (JsonNode)JsonValue.Create(number)).ToArray());
    }
}
