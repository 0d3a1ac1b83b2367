using System.IO.Compression;
using System.Text;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>What the tests do with bodies: decode a content coding, split a multipart/byteranges body.</summary>
public static class HttpBodies
{
    /// <summary>Decodes a body of the given Content-Encoding (none, gzip, br or zstd).</summary>
    public static byte[] Decode(string? contentEncoding, byte[] body)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = Decoder(contentEncoding, input);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    public static Stream Decoder(string? contentEncoding, Stream input) => contentEncoding switch
    {
        null or "" or "identity" => input,
        "gzip" => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true),
        "br" => new BrotliStream(input, CompressionMode.Decompress, leaveOpen: true),
        "zstd" => new ZstdSharp.DecompressionStream(input, leaveOpen: true),
        _ => throw new InvalidOperationException($"unexpected Content-Encoding: {contentEncoding}"),
    };

    /// <summary>The parts of a multipart/byteranges body (RFC 9110 §14.6): each part's Content-Range and bytes.</summary>
    public static IReadOnlyList<(string ContentRange, byte[] Bytes)> ByteRangeParts(RawHttpResponse response)
    {
        string contentType = response.Header("Content-Type") ?? "";
        Assert.StartsWith("multipart/byteranges", contentType);
        string boundary = contentType[(contentType.IndexOf("boundary=", StringComparison.Ordinal) + "boundary=".Length)..].Trim('"');
        string body = Encoding.Latin1.GetString(response.Body);
        var parts = new List<(string, byte[])>();
        foreach (string part in body.Split("--" + boundary).Skip(1))
        {
            if (part.StartsWith("--", StringComparison.Ordinal))
            {
                break;   // the closing delimiter
            }
            int headEnd = part.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            string head = part[..headEnd];
            string contentRange = head.Split("\r\n").Single(line => line.StartsWith("Content-Range:", StringComparison.OrdinalIgnoreCase))["Content-Range:".Length..].Trim();
            string data = part[(headEnd + 4)..];
            Assert.EndsWith("\r\n", data);
            parts.Add((contentRange, Encoding.Latin1.GetBytes(data[..^2])));
        }
        return parts;
    }
}
