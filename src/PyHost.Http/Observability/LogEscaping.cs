using System.Buffers;
using System.Text;

namespace PyHost.Http.Observability;

/// <summary>
/// Makes text from clients and apps safe to write into a log line: a control character (ESC, BEL, CR…) could otherwise
/// rewrite a terminal that tails the log or forge a line. Apache's escaping (ap_escape_logitem): <c>\n \r \t \b \v</c>
/// by name, other C0 and C1 controls and DEL as <c>\xHH</c>, and, inside quoted fields, <c>"</c> and <c>\</c> with a
/// backslash.
/// </summary>
public static class LogEscaping
{
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Select(c => (char)c)) + "\"\\\x7f"
        + string.Concat(Enumerable.Range(0x80, 0x20).Select(c => (char)c)));

    private static readonly SearchValues<char> ControlsOnly = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Where(c => c != '\n' && c != '\t').Select(c => (char)c)) + "\x7f"
        + string.Concat(Enumerable.Range(0x80, 0x20).Select(c => (char)c)));

    /// <summary>For a field of an access log line: every control character, quotes and backslashes.</summary>
    public static string Escape(string value)
    {
        int first = value.AsSpan().IndexOfAny(NeedsEscape);
        if (first < 0)
        {
            return value;
        }
        var escaped = new StringBuilder(value.Length + 8);
        escaped.Append(value, 0, first);
        foreach (char c in value.AsSpan(first))
        {
            AppendEscaped(escaped, c, quotes: true);
        }
        return escaped.ToString();
    }

    /// <summary>For a message of the error log, which may span lines (a traceback): control characters other than
    /// newline and tab are escaped; quotes stay.</summary>
    public static string EscapeControls(string message)
    {
        int first = message.AsSpan().IndexOfAny(ControlsOnly);
        if (first < 0)
        {
            return message;
        }
        var escaped = new StringBuilder(message.Length + 8);
        escaped.Append(message, 0, first);
        foreach (char c in message.AsSpan(first))
        {
            if (c is '\n' or '\t')
            {
                escaped.Append(c);
            }
            else
            {
                AppendEscaped(escaped, c, quotes: false);
            }
        }
        return escaped.ToString();
    }

    private static void AppendEscaped(StringBuilder escaped, char c, bool quotes)
    {
        switch (c)
        {
            case '"' when quotes: escaped.Append("\\\""); break;
            case '\\' when quotes: escaped.Append("\\\\"); break;
            case '\n': escaped.Append("\\n"); break;
            case '\r': escaped.Append("\\r"); break;
            case '\t': escaped.Append("\\t"); break;
            case '\b': escaped.Append("\\b"); break;
            case '\v': escaped.Append("\\v"); break;
            default:
                if (c < 0x20 || c is >= '\x7f' and <= '\x9f')
                {
                    escaped.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    escaped.Append(c);
                }
                break;
        }
    }
}
