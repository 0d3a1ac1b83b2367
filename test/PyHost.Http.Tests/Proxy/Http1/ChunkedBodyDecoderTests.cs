using System.Text;
using PyHost.Http.Proxy.Http1;

namespace PyHost.Http.Tests.Proxy.Http1;

/// <summary>The chunked-body decoder, fed its input split at every point (and byte by byte): the same body, the same end.</summary>
public sealed class ChunkedBodyDecoderTests
{
    /// <summary>Decodes <paramref name="input"/> given in pieces at <paramref name="splits"/>; the body and where it ended.</summary>
    private static (string Body, int End) Decode(byte[] input, params int[] splits)
    {
        var decoder = new ChunkedBodyDecoder();
        var body = new MemoryStream();
        int[] cuts = [.. splits, input.Length];
        int from = 0;
        foreach (int cut in cuts)
        {
            // The caller's buffer holds what arrived and was not consumed: [from, cut).
            while (from < cut)
            {
                ChunkedBodyDecoder.Step step = decoder.Decode(input.AsSpan(from, cut - from), out int consumed, out int start, out int length);
                if (step == ChunkedBodyDecoder.Step.Data)
                {
                    body.Write(input, from + start, length);
                }
                from += consumed;
                if (step == ChunkedBodyDecoder.Step.End)
                {
                    return (Encoding.Latin1.GetString(body.ToArray()), from);
                }
                if (step == ChunkedBodyDecoder.Step.NeedMore)
                {
                    Assert.Equal(cut, from);
                }
            }
        }
        return (Encoding.Latin1.GetString(body.ToArray()), -1);
    }

    private static void AssertEverySplit(string encoded, string body, string after = "")
    {
        byte[] input = Encoding.Latin1.GetBytes(encoded + after);
        for (int split = 0; split <= input.Length; split++)
        {
            Assert.Equal((body, encoded.Length), Decode(input, split));
        }
        Assert.Equal((body, encoded.Length), Decode(input, [.. Enumerable.Range(1, input.Length - 1)]));
    }

    [Fact]
    public void ChunksMakeTheBody() => AssertEverySplit("5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n", "Hello, World!", "HTTP/1.1 200 OK\r\n");

    [Fact]
    public void HexSizesInBothCasesAndLeadingZeros() =>
        AssertEverySplit("0a\r\n0123456789\r\n00A\r\nabcdefghij\r\n000\r\n\r\n", "0123456789abcdefghij");

    [Fact]
    public void ExtensionsAndTrailersAreDropped() =>
        AssertEverySplit("4;name=value;x\r\nWiki\r\n5 ; q=\"a b\"\r\npedia\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", "Wikipedia", "next");

    [Fact]
    public void BareLineFeedsAreAccepted() => AssertEverySplit("3\nabc\n0\n\n", "abc");

    [Fact]
    public void AnEmptyBodyIsTheLastChunkAlone() => AssertEverySplit("0\r\n\r\n", "");

    [Theory]
    [InlineData("\r\n")]
    [InlineData("g\r\n")]
    [InlineData("5\r\nHelloX\r\n0\r\n\r\n")]
    [InlineData("5\rX")]
    [InlineData("1234567890abcdef0\r\n")]
    public void AMalformedBodyIsRefused(string encoded)
    {
        var decoder = new ChunkedBodyDecoder();
        byte[] input = Encoding.Latin1.GetBytes(encoded);
        Assert.Throws<InvalidDataException>(() =>
        {
            for (int from = 0; from < input.Length;)
            {
                decoder.Decode(input.AsSpan(from), out int consumed, out _, out _);
                from += consumed;
            }
        });
    }

    [Fact]
    public void AnEndlessExtensionOrTrailerIsRefused()
    {
        Assert.Throws<InvalidDataException>(() => new ChunkedBodyDecoder().Decode(
            Encoding.Latin1.GetBytes("1;" + new string('x', ChunkedBodyDecoder.MaxLineBytes + 1)), out _, out _, out _));
        Assert.Throws<InvalidDataException>(() => new ChunkedBodyDecoder().Decode(
            Encoding.Latin1.GetBytes("0\r\nX-T: " + new string('x', ChunkedBodyDecoder.MaxTrailerBytes + 1)), out _, out _, out _));
    }
}
