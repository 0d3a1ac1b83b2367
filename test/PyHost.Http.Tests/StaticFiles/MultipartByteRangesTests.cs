using System.Buffers;
using System.Text;
using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class MultipartByteRangesTests
{
    [Fact]
    public void TheBodyIsFramedAsRfc9110Section14Point6Shows()
    {
        byte[] file = Encoding.ASCII.GetBytes("0123456789abcdefghijklmnopqrstuvwxyz");
        var multipart = new MultipartByteRanges("THIS_STRING_SEPARATES", "text/plain; charset=utf-8", file.Length,
            [new ByteRange(0, 4), new ByteRange(30, 6)]);

        string body = Encoding.ASCII.GetString(Write(multipart, file));

        Assert.Equal(
            "--THIS_STRING_SEPARATES\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Range: bytes 0-3/36\r\n" +
            "\r\n" +
            "0123" +
            "\r\n--THIS_STRING_SEPARATES\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Range: bytes 30-35/36\r\n" +
            "\r\n" +
            "uvwxyz" +
            "\r\n--THIS_STRING_SEPARATES--\r\n",
            body);
        Assert.Equal("multipart/byteranges; boundary=THIS_STRING_SEPARATES", multipart.ContentType);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void TheContentLengthIsTheLengthOfWhatIsWritten(int parts)
    {
        byte[] file = new byte[1000];
        var ranges = Enumerable.Range(0, parts).Select(i => new ByteRange(i * 100, 10 + i)).ToArray();
        var multipart = new MultipartByteRanges("b", "application/octet-stream", file.Length, ranges);

        Assert.Equal(Write(multipart, file).Length, multipart.ContentLength);
    }

    [Fact]
    public void NewBoundariesAreLongAndDifferent()
    {
        string first = MultipartByteRanges.NewBoundary();
        string second = MultipartByteRanges.NewBoundary();

        Assert.Equal(24, first.Length);
        Assert.True(first.All(char.IsAsciiLetterOrDigit));
        Assert.NotEqual(first, second);
    }

    private static byte[] Write(MultipartByteRanges multipart, byte[] file)
    {
        var output = new ArrayBufferWriter<byte>();
        for (int part = 0; part < multipart.Ranges.Count; part++)
        {
            multipart.WritePartHeader(output, part);
            ByteRange range = multipart.Ranges[part];
            output.Write(file.AsSpan((int)range.Start, (int)range.Length));
        }
        multipart.WriteClosing(output);
        return output.WrittenSpan.ToArray();
    }
}
