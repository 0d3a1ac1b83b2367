using System.Text.RegularExpressions;

namespace PyHost.Hosting.Apps.Detection;

/// <summary>
/// The names a Python module binds at its top level, read from the source text: <c>def NAME(</c>,
/// <c>NAME = ...</c> (also annotated), <c>import x as NAME</c> and <c>from x import a, b as NAME</c> (also in
/// parentheses over several lines). Only unindented lines count: a name bound inside a function or an
/// <c>if __name__ == "__main__":</c> block is not what the worker would find.
/// </summary>
internal static partial class PythonModuleNames
{
    public static IReadOnlySet<string> DefinedAtTopLevel(string source)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in Definition().Matches(source))
        {
            names.Add(match.Groups["name"].Value);
        }
        foreach (Match match in FromImport().Matches(source))
        {
            foreach (string item in match.Groups["list"].Value.Split(','))
            {
                // "a", "a as b", with a trailing comment or line break left over from a parenthesised list
                string[] words = item.Split('#')[0].Split((char[])[' ', '\t', '\r', '\n', '\\'], StringSplitOptions.RemoveEmptyEntries);
                if (words.Length > 0)
                {
                    names.Add(words[^1]);
                }
            }
        }
        return names;
    }

    [GeneratedRegex(@"^(?:def\s+(?<name>\w+)\s*\(|(?<name>\w+)\s*(?::[^=\n]*)?=(?!=)|import\s+[\w.]+\s+as\s+(?<name>\w+))", RegexOptions.Multiline)]
    private static partial Regex Definition();

    [GeneratedRegex(@"^from\s+[\w.]+\s+import\s+(?:\((?<list>[^)]*)\)|(?<list>[^\n]*))", RegexOptions.Multiline)]
    private static partial Regex FromImport();
}
