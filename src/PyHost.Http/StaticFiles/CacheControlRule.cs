using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// One <c>PATTERN=VALUE</c> rule: files whose path below the mount matches PATTERN get <c>Cache-Control: VALUE</c>.
/// PATTERN is a glob (<c>*</c> within a path segment, <c>**</c> across segments, <c>?</c> one character); a glob
/// without '/' is matched against the file name only (<c>*.css</c>), one with '/' against the whole path below the
/// mount (<c>img/**</c>). The word <c>hashed</c> matches names that carry a content hash, which never change and
/// can be cached for good: Django's ManifestStaticFilesStorage (<c>site.0123456789ab.css</c>, 12 hex digits) and
/// bundlers' <c>[name].[contenthash].js</c> or <c>[name]-[hash].js</c> (8 or more hex digits).
/// </summary>
public sealed partial class CacheControlRule
{
    public const string HashedPattern = "hashed";

    /// <summary>What a rule for hashed names usually says: a year, and never revalidate (RFC 8246).</summary>
    public const string ImmutableValue = "public, max-age=31536000, immutable";

    private readonly Regex _matcher;
    private readonly bool _nameOnly;

    private CacheControlRule(string pattern, string value, Regex matcher, bool nameOnly)
    {
        Pattern = pattern;
        Value = value;
        _matcher = matcher;
        _nameOnly = nameOnly;
    }

    public string Pattern { get; }

    public string Value { get; }

    /// <summary>The first rule that matches <paramref name="relativePath"/> ("css/site.css", no leading slash), or null.</summary>
    public static string? ValueFor(IReadOnlyList<CacheControlRule> rules, string relativePath)
    {
        foreach (CacheControlRule rule in rules)
        {
            if (rule.Matches(relativePath))
            {
                return rule.Value;
            }
        }
        return null;
    }

    public bool Matches(string relativePath)
    {
        string subject = _nameOnly ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath;
        return _matcher.IsMatch(subject);
    }

    /// <summary>Reads <c>PATTERN=VALUE</c>; the value must be a header value (no control characters).</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out CacheControlRule? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        int equals = text.IndexOf('=');
        string pattern = equals < 0 ? "" : text[..equals].Trim();
        string value = equals < 0 ? "" : text[(equals + 1)..].Trim();
        if (pattern.Length == 0 || value.Length == 0)
        {
            error = $"'{text}': expected PATTERN=VALUE, e.g. '{HashedPattern}={ImmutableValue}' or '*.html=no-cache'";
            return false;
        }
        if (text.Any(char.IsControl) || value.Any(c => c > 0x7e))
        {
            error = $"'{text}': the Cache-Control value must be printable ASCII";
            return false;
        }
        rule = Create(pattern, value);
        error = null;
        return true;
    }

    /// <summary>A rule from a pattern and a value already checked (a <c>cache_control</c> entry of the config file).</summary>
    public static CacheControlRule Create(string pattern, string value)
    {
        if (pattern == HashedPattern)
        {
            return new CacheControlRule(pattern, value, HashedName(), nameOnly: true);
        }
        string glob = pattern.TrimStart('/');
        return new CacheControlRule(pattern, value, new Regex(GlobToRegex(glob), RegexOptions.CultureInvariant), nameOnly: !glob.Contains('/'));
    }

    private static string GlobToRegex(string glob)
    {
        var regex = new StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" also matches no directory at all, as in .gitignore: img/**/x.png matches img/x.png.
                bool slashFollows = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slashFollows ? "(?:.*/)?" : ".*");
                i += slashFollows ? 2 : 1;
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }
        return regex.Append('$').ToString();
    }

    /// <summary>A name with a hash of 8+ hex digits before its extension, after '.' or '-' ("app.3f2a9c1b.js", "site.0123456789ab.css.map").</summary>
    [GeneratedRegex(@"[.-][0-9a-f]{8,64}\.[A-Za-z0-9]+(?:\.map)?$", RegexOptions.CultureInvariant)]
    private static partial Regex HashedName();
}
