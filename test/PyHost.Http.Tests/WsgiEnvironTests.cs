namespace PyHost.Http.Tests;

public class WsgiEnvironTests
{
    [Theory]
    [InlineData("/caf%C3%A9", "2F 63 61 66 C3 A9")]
    [InlineData("%FF", "FF")]
    [InlineData("%2F", "2F")]
    [InlineData("%00", "00")]
    [InlineData("%c3%A9", "C3 A9")]
    [InlineData("%e9", "E9")]
    [InlineData("/a%20b/", "2F 61 20 62 2F")]
    [InlineData("/plain/path", "2F 70 6C 61 69 6E 2F 70 61 74 68")]
    [InlineData("", "")]
    public void PercentDecodeTurnsEscapesIntoBytes(string path, string expectedHex)
    {
        Assert.Equal(Hex(expectedHex), Decode(path));
    }

    [Theory]
    [InlineData("%zz", "25 7A 7A")]
    [InlineData("%4", "25 34")]
    [InlineData("%", "25")]
    [InlineData("/a%", "2F 61 25")]
    [InlineData("/a%4", "2F 61 25 34")]
    [InlineData("%G1", "25 47 31")]
    [InlineData("%1G", "25 31 47")]
    [InlineData("%%41", "25 41")]
    [InlineData("%4%41", "25 34 41")]
    public void PercentDecodeLeavesAPercentWithoutTwoHexDigitsAsItIs(string path, string expectedHex)
    {
        Assert.Equal(Hex(expectedHex), Decode(path));
    }

    [Theory]
    [InlineData("/caf\u00E9", "2F 63 61 66 C3 A9")]
    [InlineData("\u00FF", "C3 BF")]
    [InlineData("\u20AC", "E2 82 AC")]
    [InlineData("/\U0001F600/", "2F F0 9F 98 80 2F")]
    [InlineData("\u00E9%C3%A9", "C3 A9 C3 A9")]
    public void PercentDecodeGivesARawNonAsciiCharacterAsItsUtf8Bytes(string path, string expectedHex)
    {
        Assert.Equal(Hex(expectedHex), Decode(path));
    }

    [Fact]
    public void PercentDecodeWritesNothingPastTheBytesItCounts()
    {
        byte[] destination = Enumerable.Repeat((byte)0xAA, 32).ToArray();

        int written = WsgiEnviron.PercentDecode("/x%41\u00E9", destination);

        Assert.Equal(5, written);
        Assert.Equal(Hex("2F 78 41 C3 A9"), destination[..written]);
        Assert.All(destination[written..], b => Assert.Equal(0xAA, b));
    }

    private static byte[] Decode(string path)
    {
        // Three bytes per char is what the caller reserves (WsgiEnviron.WritePathAndQuery).
        byte[] destination = new byte[path.Length * 3];
        int written = WsgiEnviron.PercentDecode(path, destination);
        return destination[..written];
    }

    private static byte[] Hex(string spaced) => Convert.FromHexString(spaced.Replace(" ", ""));
}
