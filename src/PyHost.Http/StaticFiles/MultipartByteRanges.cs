using System.Buffers;
using System.Text;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// The framing of a <c>multipart/byteranges</c> body (RFC 9110 §14.6): a part header before each range's bytes and
/// the closing delimiter after the last. Pure: the caller writes each range's bytes between the part headers, and
/// knows the whole body's length before the first byte, so the response can carry Content-Length.
/// <code>
/// --BOUNDARY CRLF Content-Type: T CRLF Content-Range: bytes a-b/N CRLF CRLF (bytes) CRLF --BOUNDARY ... CRLF --BOUNDARY-- CRLF
/// </code>
/// </summary>
public sealed class MultipartByteRanges
{
    private readonly byte[][] _partHeaders;
    private readonly byte[] _closing;

    public MultipartByteRanges(string boundary, string contentType, long representationLength, IReadOnlyList<ByteRange> ranges)
    {
        Boundary = boundary;
        Ranges = ranges;
        _partHeaders = new byte[ranges.Count][];
        for (int i = 0; i < ranges.Count; i++)
        {
            // The delimiter is CRLF "--" boundary (RFC 2046 §5.1.1); before the first part the CRLF may go.
            string delimiter = i == 0 ? "--" : "\r\n--";
            _partHeaders[i] = Encoding.ASCII.GetBytes(
                $"{delimiter}{boundary}\r\nContent-Type: {contentType}\r\nContent-Range: {ranges[i].ContentRange(representationLength)}\r\n\r\n");
        }
        _closing = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        ContentLength = _partHeaders.Sum(header => (long)header.Length) + ranges.Sum(range => range.Length) + _closing.Length;
    }

    public string Boundary { get; }

    public IReadOnlyList<ByteRange> Ranges { get; }

    /// <summary>The response's Content-Type.</summary>
    public string ContentType => $"multipart/byteranges; boundary={Boundary}";

    /// <summary>The whole body's length: part headers, ranges and the closing delimiter.</summary>
    public long ContentLength { get; }

    /// <summary>A boundary that no file's bytes are likely to contain: 24 random letters and digits.</summary>
    public static string NewBoundary()
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        return string.Create(24, 0, (chars, _) =>
        {
            Span<byte> random = stackalloc byte[24];
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = alphabet[random[i] % alphabet.Length];
            }
        });
    }

    public void WritePartHeader(IBufferWriter<byte> output, int part) => output.Write(_partHeaders[part]);

    public void WriteClosing(IBufferWriter<byte> output) => output.Write(_closing);
}
