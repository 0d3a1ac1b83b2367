using System.Text;

namespace PyHost.Http.Proxy.Http1;

/// <summary>How an upstream response's body is delimited (RFC 9112 §6.3).</summary>
public enum UpstreamBodyFraming
{
    /// <summary>No body: HEAD, 1xx, 204, 304.</summary>
    None,
    ContentLength,
    Chunked,
    /// <summary>Until the server closes the connection (HTTP/1.0 style, or a transfer coding other than chunked last).</summary>
    UntilClose,
}

/// <summary>
/// The status line and header fields of an HTTP/1.x response from an upstream server (RFC 9112 §4, §5), parsed from
/// the bytes read so far: a pure codec, so it is tested on every prefix of its input. What a proxy must not pass on
/// is refused here: obsolete line folding (§5.2), bad field names, control characters in values, Content-Length values
/// that disagree (§6.3).
/// </summary>
public sealed class UpstreamResponseHead
{
    /// <summary>nginx's proxy_buffer_size is 4–8 KiB; HttpClient allows 64 KiB of response headers.</summary>
    public const int MaxBytes = 64 * 1024;

    private UpstreamResponseHead(int status, bool http10, List<KeyValuePair<string, string>> fields)
    {
        Status = status;
        IsHttp10 = http10;
        Fields = fields;
    }

    public int Status { get; }

    public bool IsHttp10 { get; }

    /// <summary>Every field in order, names as the server wrote them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    public long? ContentLength { get; private set; }

    public bool HasTransferEncoding { get; private set; }

    public bool ChunkedLast { get; private set; }

    /// <summary>The server will close the connection after this response (Connection: close, or HTTP/1.0 without
    /// keep-alive), so it goes back to no pool.</summary>
    public bool WillClose { get; private set; }

    /// <summary>The options of the Connection fields (close, keep-alive, and the names of fields for this hop only, RFC
    /// 9110 §7.6.1), read once for both uses.</summary>
    public HashSet<string> ConnectionOptions { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How the body of this response is delimited; a response to HEAD has none, whatever its head says.</summary>
    public UpstreamBodyFraming Framing(bool headRequest)
    {
        if (headRequest || Status is (>= 100 and < 200) or 204 or 304)
        {
            return UpstreamBodyFraming.None;
        }
        if (HasTransferEncoding)
        {
            return ChunkedLast ? UpstreamBodyFraming.Chunked : UpstreamBodyFraming.UntilClose;
        }
        return ContentLength is not null ? UpstreamBodyFraming.ContentLength : UpstreamBodyFraming.UntilClose;
    }

    /// <summary>
    /// Parses a head from the start of <paramref name="input"/>. Returns null with <paramref name="consumed"/> 0 when
    /// the head is not complete yet; throws <see cref="InvalidDataException"/> for a head that is malformed or longer
    /// than <see cref="MaxBytes"/>.
    /// </summary>
    public static UpstreamResponseHead? TryParse(ReadOnlySpan<byte> input, out int consumed)
    {
        consumed = 0;
        int end = FindEnd(input, out int endLength);
        if (end < 0)
        {
            if (input.Length >= MaxBytes)
            {
                throw new InvalidDataException($"the response head is longer than {MaxBytes / 1024} KiB");
            }
            return null;
        }
        if (end + endLength > MaxBytes)
        {
            throw new InvalidDataException($"the response head is longer than {MaxBytes / 1024} KiB");
        }
        ReadOnlySpan<byte> head = input[..end];
        int lineEnd = head.IndexOf((byte)'\n');
        ReadOnlySpan<byte> statusLine = TrimCr(lineEnd < 0 ? head : head[..lineEnd]);
        (int status, bool http10) = ParseStatusLine(statusLine);
        var fields = new List<KeyValuePair<string, string>>();
        var parsed = new UpstreamResponseHead(status, http10, fields);
        bool keepAlive = false;
        ReadOnlySpan<byte> rest = lineEnd < 0 ? [] : head[(lineEnd + 1)..];
        while (!rest.IsEmpty)
        {
            int next = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = TrimCr(next < 0 ? rest : rest[..next]);
            rest = next < 0 ? [] : rest[(next + 1)..];
            if (line.IsEmpty)
            {
                throw new InvalidDataException("an empty line inside the response head");
            }
            KeyValuePair<string, string> field = ParseField(line);
            fields.Add(field);
            parsed.Note(field, ref keepAlive);
        }
        if (http10 && !keepAlive)
        {
            parsed.WillClose = true;
        }
        if (parsed.HasTransferEncoding)
        {
            // A message with both is a smuggling attempt or a broken server: the length is not to be trusted, nor the
            // connection afterwards (RFC 9112 §6.1).
            parsed.ContentLength = null;
            parsed.WillClose |= fields.Exists(f => f.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase));
        }
        consumed = end + endLength;
        return parsed;
    }

    private void Note(KeyValuePair<string, string> field, ref bool keepAlive)
    {
        string name = field.Key;
        string value = field.Value;
        if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            foreach (string part in value.Split(','))
            {
                if (!long.TryParse(part.AsSpan().Trim(' '), System.Globalization.NumberStyles.None, null, out long length))
                {
                    throw new InvalidDataException($"a Content-Length that is not a number: \"{value}\"");
                }
                if (ContentLength is { } known && known != length)
                {
                    throw new InvalidDataException("Content-Length values that disagree");
                }
                ContentLength = length;
            }
        }
        else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        {
            HasTransferEncoding = true;
            string last = value.Split(',')[^1].Trim(' ', '\t');
            ChunkedLast = last.Equals("chunked", StringComparison.OrdinalIgnoreCase);
        }
        else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
        {
            foreach (string option in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                ConnectionOptions.Add(option);
            }
            WillClose |= ConnectionOptions.Contains("close");
            keepAlive |= ConnectionOptions.Contains("keep-alive");
        }
    }

    /// <summary>Where the last line of the head ends (its LF), and how many bytes from there end the head: the head
    /// ends at the first empty line; a bare LF ends a line too (RFC 9112 §2.2 lets a recipient accept it).</summary>
    private static int FindEnd(ReadOnlySpan<byte> input, out int endLength)
    {
        endLength = 0;
        for (int from = 0; ;)
        {
            int found = input[from..].IndexOf((byte)'\n');
            if (found < 0)
            {
                return -1;
            }
            int lf = from + found;
            if (lf + 1 < input.Length && input[lf + 1] == '\n')
            {
                endLength = 2;
                return lf;
            }
            if (lf + 2 < input.Length && input[lf + 1] == '\r' && input[lf + 2] == '\n')
            {
                endLength = 3;
                return lf;
            }
            if (lf + 1 == input.Length || (lf + 2 == input.Length && input[lf + 1] == '\r'))
            {
                return -1;   // whether the next line is empty has not arrived yet
            }
            from = lf + 1;
        }
    }

    private static (int Status, bool Http10) ParseStatusLine(ReadOnlySpan<byte> line)
    {
        // HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 §4); some servers leave out the SP after the code.
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || (line[7] != '0' && line[7] != '1') || line[8] != ' '
            || !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) || (line.Length > 12 && line[12] != ' '))
        {
            throw new InvalidDataException($"not an HTTP/1.x status line: \"{Printable(line)}\"");
        }
        int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        if (status < 100)
        {
            throw new InvalidDataException($"status code {status} is out of range");
        }
        return (status, line[7] == '0');
    }

    private static KeyValuePair<string, string> ParseField(ReadOnlySpan<byte> line)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            throw new InvalidDataException("obsolete line folding in the response head (RFC 9112 §5.2)");
        }
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new InvalidDataException($"a response header line without a name: \"{Printable(line)}\"");
        }
        ReadOnlySpan<byte> name = line[..colon];
        foreach (byte b in name)
        {
            if (!IsTokenChar(b))
            {
                throw new InvalidDataException($"a response header name with a character a name cannot have: \"{Printable(name)}\"");
            }
        }
        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7F)
            {
                throw new InvalidDataException($"a control character in the value of response header {Encoding.ASCII.GetString(name)}");
            }
        }
        return new(Encoding.ASCII.GetString(name), Encoding.Latin1.GetString(value));
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    // tchar (RFC 9110 §5.6.2)
    private static bool IsTokenChar(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
        || "!#$%&'*+-.^_`|~"u8.Contains(b);

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 80)])
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }
        return text.ToString();
    }
}
