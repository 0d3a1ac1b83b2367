using Microsoft.Extensions.Primitives;

namespace PyHost.Http.Forwarding;

/// <summary>One forwarded-element of RFC 7239 §4: what one proxy says about the request it received.</summary>
public sealed record ForwardedElement(string? For, string? Proto, string? Host);

/// <summary>
/// The RFC 7239 <c>Forwarded</c> header, every field line of it in order (RFC 9110 §5.3: lines join into one list):
/// <c>Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:4711"</c>.
/// </summary>
public static class ForwardedHeader
{
    /// <summary>
    /// The elements, left to right, or null when the header is malformed (RFC 7239 §4: a parameter twice in one
    /// element, a pair without "=", an unterminated quoted-string): a proxy's word that cannot be read is not taken.
    /// Values may also be written unquoted where RFC 7239 wants quotes (<c>for=[::1]:80</c>); proxies configured by
    /// hand often do, and the node is checked on its own.
    /// </summary>
    public static IReadOnlyList<ForwardedElement>? Parse(StringValues lines)
    {
        var elements = new List<ForwardedElement>();
        foreach (string? line in lines)
        {
            if (line is null || !ParseLine(line, elements))
            {
                return null;
            }
        }
        return elements;
    }

    private static bool ParseLine(string line, List<ForwardedElement> elements)
    {
        int i = 0;
        string? forValue = null, proto = null, host = null;
        bool sawFor = false, sawProto = false, sawHost = false, sawBy = false, elementHasPair = false;
        while (true)
        {
            SkipWhitespace(line, ref i);
            if (i >= line.Length || line[i] == ',')
            {
                // The end of one element; empty list elements are allowed and skipped (RFC 9110 §5.6.1).
                if (elementHasPair)
                {
                    elements.Add(new ForwardedElement(forValue, proto, host));
                }
                if (i >= line.Length)
                {
                    return true;
                }
                i++;
                forValue = proto = host = null;
                sawFor = sawProto = sawHost = sawBy = elementHasPair = false;
                continue;
            }
            if (line[i] == ';')
            {
                i++;
                continue;
            }
            int nameStart = i;
            while (i < line.Length && IsTokenChar(line[i]))
            {
                i++;
            }
            if (i == nameStart || i >= line.Length || line[i] != '=')
            {
                return false;
            }
            string name = line[nameStart..i];
            i++;
            if (!TryReadValue(line, ref i, out string? value))
            {
                return false;
            }
            elementHasPair = true;
            ref bool seen = ref sawBy;
            if (name.Equals("for", StringComparison.OrdinalIgnoreCase))
            {
                seen = ref sawFor;
                forValue = value;
            }
            else if (name.Equals("proto", StringComparison.OrdinalIgnoreCase))
            {
                seen = ref sawProto;
                proto = value;
            }
            else if (name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                seen = ref sawHost;
                host = value;
            }
            else if (!name.Equals("by", StringComparison.OrdinalIgnoreCase))
            {
                continue;   // an extension parameter (RFC 7239 §5.5): read and ignored
            }
            if (seen)
            {
                return false;   // RFC 7239 §4: each parameter at most once per element
            }
            seen = true;
            SkipWhitespace(line, ref i);
            if (i < line.Length && line[i] is not (';' or ','))
            {
                return false;
            }
        }
    }

    private static bool TryReadValue(string line, ref int i, out string? value)
    {
        value = null;
        if (i < line.Length && line[i] == '"')
        {
            // quoted-string with quoted-pair (RFC 9110 §5.6.4)
            var text = new System.Text.StringBuilder();
            for (i++; i < line.Length; i++)
            {
                char c = line[i];
                if (c == '"')
                {
                    i++;
                    value = text.ToString();
                    return true;
                }
                if (c == '\\' && i + 1 < line.Length)
                {
                    c = line[++i];
                }
                if ((c < 0x20 && c != '\t') || c == 0x7F)
                {
                    return false;
                }
                text.Append(c);
            }
            return false;
        }
        int start = i;
        while (i < line.Length && line[i] is not (',' or ';' or ' ' or '\t' or '"') && line[i] >= 0x21 && line[i] != 0x7F)
        {
            i++;
        }
        if (i == start)
        {
            return false;
        }
        value = line[start..i];
        return true;
    }

    private static void SkipWhitespace(string line, ref int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
    }

    // RFC 9110 §5.6.2 tchar.
    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
