using PyHost.Configuration.Model;

namespace PyHost.Tls.Certificates;

/// <summary>
/// Host name lookup in the order sites are chosen (nginx's server_name): an exact name, then the longest matching
/// wildcard (<c>*.example.com</c> matches any name below example.com, not example.com itself). Names compare without
/// case and without a trailing dot (RFC 9110 §4.2.3). Built once, read by every handshake and request.
/// </summary>
public sealed class HostTable<T> where T : class
{
    private readonly Dictionary<string, T> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Suffix, T Value)> _wildcards = [];

    public int Count => _exact.Count + _wildcards.Count;

    /// <summary>Adds a pattern; the first one added for a name wins.</summary>
    public void Add(HostPattern pattern, T value)
    {
        if (pattern.IsWildcard)
        {
            string suffix = pattern.Text[1..];   // ".example.com"
            if (!_wildcards.Any(entry => entry.Suffix.Equals(suffix, StringComparison.OrdinalIgnoreCase)))
            {
                _wildcards.Add((suffix, value));
                // Longest first, so the most specific wildcard wins.
                _wildcards.Sort((a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length));
            }
        }
        else
        {
            _exact.TryAdd(pattern.Text, value);
        }
    }

    public T? Find(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }
        ReadOnlySpan<char> name = host.AsSpan().TrimEnd('.');
        Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> exact = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        if (exact.TryGetValue(name, out T? value))
        {
            return value;
        }
        foreach ((string suffix, T wildcard) in _wildcards)
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return wildcard;
            }
        }
        return null;
    }
}
