using System.Text;

namespace PyHost.Workers.Supervision;

/// <summary>
/// Cuts a byte stream into lines of UTF-8 text (invalid bytes become U+FFFD), at '\n' and, for a line that runs on,
/// every <see cref="MaxLineBytes"/> bytes (at a character boundary). A trailing '\r' is dropped. Pure: no I/O, so a
/// test can feed it any split of any input.
/// </summary>
public sealed class OutputLineSplitter
{
    /// <summary>The longest line passed on; journald's own default LineMax is 48 KiB.</summary>
    public const int MaxLineBytes = 16 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly byte[] _pending = new byte[MaxLineBytes];
    private int _pendingLength;

    /// <summary>Adds the complete lines in <paramref name="bytes"/> (with what was pending before) to <paramref name="lines"/>.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, List<string> lines)
    {
        while (!bytes.IsEmpty)
        {
            int newline = bytes.IndexOf((byte)'\n');
            int take = newline < 0 ? bytes.Length : newline;
            int room = MaxLineBytes - _pendingLength;
            if (take > room || (take == room && newline < 0))
            {
                // The line runs past the limit: pass on a piece now, ending at a character boundary.
                int cut = room;
                while (cut > 0 && cut < bytes.Length && (bytes[cut] & 0xC0) == 0x80)
                {
                    cut--;   // bytes[cut] continues a character: cut before that character
                }
                if (cut == 0)
                {
                    cut = room;   // no character boundary in reach (not UTF-8): cut at the limit
                }
                Append(bytes[..cut]);
                lines.Add(TakePending());
                bytes = bytes[cut..];
                continue;
            }
            Append(bytes[..take]);
            if (newline < 0)
            {
                return;
            }
            lines.Add(TakePending());
            bytes = bytes[(newline + 1)..];
        }
    }

    /// <summary>At end of file: the last line, even without its newline.</summary>
    public void Finish(List<string> lines)
    {
        if (_pendingLength > 0)
        {
            lines.Add(TakePending());
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private string TakePending()
    {
        int length = _pendingLength;
        if (length > 0 && _pending[length - 1] == (byte)'\r')
        {
            length--;
        }
        _pendingLength = 0;
        return Utf8.GetString(_pending, 0, length);
    }
}
