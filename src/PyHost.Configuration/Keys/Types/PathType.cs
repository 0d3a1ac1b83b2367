using System.Text.Json.Nodes;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>
/// A file or directory path. A relative path is relative to the config file's directory (the current directory for
/// flags), so a config file works from wherever it is started; the model keeps it absolute. Nothing is checked on
/// disk here: <see cref="FileSystemCheck"/> does that as a separate step. <paramref name="keepAsWritten"/> names
/// values that are not paths ("-" for stdout).
/// </summary>
public sealed class PathType(string expected = "a path", params string[] keepAsWritten) : ValueType<string>
{
    public override string Expected => expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out string value)
    {
        value = "";
        if (node is not TomlScalar { Value: string text } || (text.Length == 0))
        {
            context.Expected(node, path, Expected, node is TomlScalar { Value: not string } ? "quote it: paths are strings" : null);
            return false;
        }
        if (text.Contains('\0'))
        {
            context.Error(node, path, "a path cannot contain a NUL character");
            return false;
        }
        value = Resolve(text, context.BaseDirectory, keepAsWritten);
        return true;
    }

    public static string Resolve(string text, string baseDirectory, params string[] keepAsWritten)
    {
        if (keepAsWritten.Contains(text))
        {
            return text;
        }
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
        {
            text = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text.TrimStart('~', '/'));
        }
        return Path.GetFullPath(text, baseDirectory);
    }

    public override PrintedValue Print(string value) => new InlineValue(TomlDocumentReader.Quote(value));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["minLength"] = 1;
    }
}

/// <summary>An interpreter: a bare command name ("python3.12") is looked up on PATH later; a path is resolved like any path.</summary>
public sealed class InterpreterType : ValueType<string>
{
    private static readonly PathType AsPath = new("a path or a command name");

    public override string Expected => "a path or a command name";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out string value)
    {
        if (node is TomlScalar { Value: string text } && text.Length > 0 && !text.Contains('/'))
        {
            value = text;
            return true;
        }
        return AsPath.TryRead(node, context, path, out value);
    }

    public override PrintedValue Print(string value) => AsPath.Print(value);

    public override void WriteSchema(JsonObject schema) => AsPath.WriteSchema(schema);
}
