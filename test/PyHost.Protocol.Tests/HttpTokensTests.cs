namespace PyHost.Protocol.Tests;

public class HttpTokensTests
{
    // RFC 9110 §5.6.2, written out here independently of the code:
    //   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private const string TChars =
        "!#$%&'*+-.^_`|~" + "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz";

    public static TheoryData<int> EveryByteValue() => new(Enumerable.Range(0, 256));

    [Theory]
    [MemberData(nameof(EveryByteValue))]
    public void IsTokenAcceptsAByteExactlyWhenItIsAnRfc9110TChar(int value)
    {
        bool expected = TChars.Contains((char)value);

        Assert.Equal(expected, HttpTokens.IsToken([(byte)value]));
    }

    [Fact]
    public void TheTCharSetHasSeventySevenMembers()
    {
        Assert.Equal(77, Enumerable.Range(0, 256).Count(b => HttpTokens.IsToken([(byte)b])));
    }

    [Fact]
    public void IsTokenRefusesTheEmptyName()
    {
        Assert.False(HttpTokens.IsToken([]));
    }

    [Theory]
    [InlineData("Content-Type", true)]
    [InlineData("X-Custom_Header.v2~", true)]
    [InlineData("Content Type", false)]
    [InlineData("Content-Type:", false)]
    [InlineData("X-Caf\u00E9", false)]
    [InlineData("(comment)", false)]
    public void IsTokenChecksEveryByteOfAName(string name, bool expected)
    {
        Assert.Equal(expected, HttpTokens.IsToken(System.Text.Encoding.Latin1.GetBytes(name)));
    }

    [Theory]
    [InlineData("Connection")]
    [InlineData("keep-alive")]
    [InlineData("PROXY-AUTHENTICATE")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Proxy-Connection")]
    [InlineData("te")]
    [InlineData("Trailer")]
    [InlineData("Trailers")]
    [InlineData("Transfer-Encoding")]
    [InlineData("uPgRaDe")]
    public void IsHopByHopRecognisesEachHopByHopNameInAnyCase(string name)
    {
        Assert.True(HttpTokens.IsHopByHop(System.Text.Encoding.ASCII.GetBytes(name)));
    }

    [Theory]
    [InlineData("Content-Type")]
    [InlineData("T")]
    [InlineData("TEE")]
    [InlineData("Connections")]
    [InlineData("X-Connection")]
    public void IsHopByHopLetsOtherNamesThrough(string name)
    {
        Assert.False(HttpTokens.IsHopByHop(System.Text.Encoding.ASCII.GetBytes(name)));
    }
}
