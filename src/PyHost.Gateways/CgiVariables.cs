using System.Text;

namespace PyHost.Gateways;

/// <summary>
/// The CGI variables a gateway peer sent with one request, as raw bytes in arrival order: uwsgi vars, SCGI headers,
/// FastCGI params, or Mongrel2's headers mapped to their CGI names. One block holds every name and value, so a
/// request costs one copy of what arrived. Names may repeat: nginx before 1.23 sends each repeated header as its own
/// HTTP_* variable.
/// </summary>
public sealed class CgiVariables
{
    private readonly byte[] _block;
    private readonly List<(int NameStart, int NameLength, int ValueStart, int ValueLength)> _entries;

    internal CgiVariables(byte[] block, int capacity = 32)
    {
        _block = block;
        _entries = new(capacity);
    }

    public int Count => _entries.Count;

    public ReadOnlySpan<byte> NameAt(int index)
    {
        var entry = _entries[index];
        return _block.AsSpan(entry.NameStart, entry.NameLength);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        var entry = _entries[index];
        return _block.AsSpan(entry.ValueStart, entry.ValueLength);
    }

    /// <summary>The value of the last variable of this name: a repeated CGI variable overrides the earlier one, as
    /// in uWSGI and flup.</summary>
    public bool TryGetValue(scoped ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (NameAt(i).SequenceEqual(name))
            {
                value = ValueAt(i);
                return true;
            }
        }
        value = default;
        return false;
    }

    public bool TryGetValue(string asciiName, out ReadOnlySpan<byte> value)
    {
        Span<byte> name = stackalloc byte[asciiName.Length];
        return TryGetValue(name[..Encoding.ASCII.GetBytes(asciiName, name)], out value);
    }

    /// <summary>The value read as latin-1 (a PEP 3333 native string), or null when absent.</summary>
    public string? GetLatin1(string asciiName)
        => TryGetValue(asciiName, out ReadOnlySpan<byte> value) ? Encoding.Latin1.GetString(value) : null;

    /// <summary>Every variable in arrival order, read as latin-1; for tests and log lines.</summary>
    public List<KeyValuePair<string, string>> ToLatin1Pairs()
    {
        var pairs = new List<KeyValuePair<string, string>>(_entries.Count);
        for (int i = 0; i < _entries.Count; i++)
        {
            pairs.Add(new(Encoding.Latin1.GetString(NameAt(i)), Encoding.Latin1.GetString(ValueAt(i))));
        }
        return pairs;
    }

    /// <summary>Variables from names and latin-1 values (each char one byte), for protocols whose variables are not
    /// one block on the wire (Mongrel2's header dict) and for tests.</summary>
    public static CgiVariables FromLatin1Pairs(IReadOnlyCollection<KeyValuePair<string, string>> pairs)
    {
        int size = 0;
        foreach (var (name, value) in pairs)
        {
            size += name.Length + value.Length;
        }
        var block = new byte[size];
        var variables = new CgiVariables(block, pairs.Count);
        int position = 0;
        foreach (var (name, value) in pairs)
        {
            int nameStart = position;
            position += Encoding.Latin1.GetBytes(name, block.AsSpan(position));
            int valueStart = position;
            position += Encoding.Latin1.GetBytes(value, block.AsSpan(position));
            variables.Add(nameStart, name.Length, valueStart, value.Length);
        }
        return variables;
    }

    internal void Add(int nameStart, int nameLength, int valueStart, int valueLength)
        => _entries.Add((nameStart, nameLength, valueStart, valueLength));
}
