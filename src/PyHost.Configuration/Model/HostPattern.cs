using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace PyHost.Configuration.Model;

/// <summary>
/// A site's host name: exact (<c>example.com</c>, <c>localhost</c>, an IP address) or a wildcard for one or more
/// labels below a domain (<c>*.example.com</c>, as nginx's <c>server_name</c> and Caddy read it). Names are
/// compared without case (RFC 9110 §4.2.3) and without a trailing dot or port.
/// </summary>
public sealed record HostPattern
{
    private HostPattern(string text, bool isWildcard)
    {
        Text = text;
        IsWildcard = isWildcard;
    }

    /// <summary>The pattern, lower case: "example.com" or "*.example.com".</summary>
    public string Text { get; }

    public bool IsWildcard { get; }

    public static bool TryParse(string written, [NotNullWhen(true)] out HostPattern? pattern, [NotNullWhen(false)] out string? error, [NotNullWhen(false)] out string? hint)
    {
        pattern = null;
        hint = null;
        string text = written.Trim().TrimEnd('.').ToLowerInvariant();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            error = $"'{written}' is a URL, not a host name";
            hint = "write the name only: \"example.com\"";
            return false;
        }
        if (text is "*" or "")
        {
            error = $"'{written}' is not a host name";
            hint = "a site without 'hosts' (or with default = true) answers every other host name";
            return false;
        }
        if (text.StartsWith('[') && text.EndsWith(']') && IPAddress.TryParse(text[1..^1], out _))
        {
            pattern = new HostPattern(text, false);
            error = null;
            return true;
        }
        bool wildcard = text.StartsWith("*.", StringComparison.Ordinal);
        string name = wildcard ? text[2..] : text;
        if (name.Contains(':'))
        {
            error = $"'{written}': a host name has no port";
            hint = "sites match the name only; the port belongs to [[listen]]";
            return false;
        }
        string[] labels = name.Split('.');
        foreach (string label in labels)
        {
            bool valid = label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')
                         && label[0] != '-' && label[^1] != '-';
            if (!valid)
            {
                error = $"'{written}' is not a host name";
                hint = label.Contains('*')
                    ? "a wildcard is allowed only as the whole first label: \"*.example.com\""
                    : "host names are letters, digits and '-' in dot-separated labels (xn-- punycode for other scripts)";
                return false;
            }
        }
        pattern = new HostPattern(text, wildcard);
        error = null;
        return true;
    }

    /// <summary>Whether a request's host (no port, any case) matches: a wildcard matches any name below its domain.</summary>
    public bool Matches(string host)
    {
        string name = host.TrimEnd('.');
        if (!IsWildcard)
        {
            return string.Equals(name, Text, StringComparison.OrdinalIgnoreCase);
        }
        string suffix = Text[1..];   // ".example.com"
        return name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() => Text;
}
