using System.Text;

namespace PyHost.Configuration.CommandLine;

/// <summary>
/// Splits <c>GUNICORN_CMD_ARGS</c> / <c>PYHOST_CMD_ARGS</c> into arguments as a POSIX shell would (Python's
/// <c>shlex.split</c>, which gunicorn uses): whitespace separates, '...' is literal, "..." takes \" \\ \$ \` escapes,
/// a backslash outside quotes escapes the next character.
/// </summary>
public static class ShellWords
{
    public static bool TrySplit(string text, out List<string> words, out string? error)
    {
        words = [];
        error = null;
        var current = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\'':
                    int close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = "a ' quote is not closed";
                        return false;
                    }
                    current.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }
                        current.Append(text[i]);
                        i++;
                    }
                    if (i >= text.Length)
                    {
                        error = "a \" quote is not closed";
                        return false;
                    }
                    break;
                case '\\':
                    if (i + 1 < text.Length)
                    {
                        current.Append(text[++i]);
                    }
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (inWord)
        {
            words.Add(current.ToString());
        }
        return true;
    }
}
