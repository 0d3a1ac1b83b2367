using PyHost.Http.Compression;

namespace PyHost.Http.Tests.Compression;

public class AcceptEncodingTests
{
    private static readonly ContentCoding[] ServerOrder = [ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip];

    [Theory]
    [InlineData(null, ContentCoding.Identity)]
    [InlineData("", ContentCoding.Identity)]
    [InlineData("   ", ContentCoding.Identity)]
    [InlineData("gzip", ContentCoding.Gzip)]
    [InlineData("x-gzip", ContentCoding.Gzip)]
    [InlineData("GZIP", ContentCoding.Gzip)]
    [InlineData("br", ContentCoding.Brotli)]
    [InlineData("zstd", ContentCoding.Zstd)]
    [InlineData("gzip, deflate, br, zstd", ContentCoding.Zstd)]            // Chrome: equal weights, the server's order
    [InlineData("gzip, deflate, br", ContentCoding.Brotli)]                // Firefox, Safari
    [InlineData("deflate", ContentCoding.Identity)]                        // not offered
    [InlineData("compress, identity", ContentCoding.Identity)]
    [InlineData("br;q=0.5, gzip;q=0.8", ContentCoding.Gzip)]
    [InlineData("br;q=0.8, gzip;q=0.8", ContentCoding.Brotli)]
    [InlineData("zstd;q=0, br;q=0.001", ContentCoding.Brotli)]
    [InlineData("gzip;q=0", ContentCoding.Identity)]
    [InlineData("gzip;q=0.000", ContentCoding.Identity)]
    [InlineData("*", ContentCoding.Zstd)]
    [InlineData("*;q=0.5, zstd;q=0.4", ContentCoding.Brotli)]              // * weighs what is not listed
    [InlineData("*;q=0, gzip", ContentCoding.Gzip)]
    [InlineData("gzip;q=0.5, identity", ContentCoding.Identity)]           // identity weighs more
    [InlineData("gzip;q=0.5, identity;q=0.5", ContentCoding.Gzip)]         // a tie goes to the coding
    [InlineData("gzip, identity;q=0", ContentCoding.Gzip)]
    [InlineData("deflate, identity;q=0", ContentCoding.Identity)]          // nothing acceptable: identity anyway (§12.1)
    [InlineData("gzip;Q=0.9, br;q=0.3", ContentCoding.Gzip)]
    [InlineData("gzip ; q=0.9 , br ; q=1", ContentCoding.Brotli)]
    [InlineData("gzip;q=1.0", ContentCoding.Gzip)]
    [InlineData("gzip;q=1.5, br;q=0.1", ContentCoding.Brotli)]             // an invalid weight drops that member
    [InlineData("gzip;q=, br;q=0.1", ContentCoding.Brotli)]
    [InlineData("gzip;q=0.1234, br;q=0.1", ContentCoding.Brotli)]
    [InlineData("gzip;q=abc", ContentCoding.Identity)]
    [InlineData("gzip;level=9", ContentCoding.Gzip)]                       // other parameters are ignored
    [InlineData(",,gzip,,", ContentCoding.Gzip)]
    public void TheCodingFollowsTheClientsWeightsThenTheServersOrder(string? header, ContentCoding expected)
    {
        Assert.Equal(expected, AcceptEncoding.Negotiate(header, ServerOrder));
    }

    [Fact]
    public void OnlyOfferedCodingsAreChosen()
    {
        Assert.Equal(ContentCoding.Gzip, AcceptEncoding.Negotiate("zstd, br, gzip", [ContentCoding.Gzip]));
        Assert.Equal(ContentCoding.Identity, AcceptEncoding.Negotiate("zstd, br", [ContentCoding.Gzip]));
        Assert.Equal(ContentCoding.Identity, AcceptEncoding.Negotiate("gzip", []));
        Assert.Equal(ContentCoding.Gzip, AcceptEncoding.Negotiate("br, gzip, zstd", [ContentCoding.Gzip, ContentCoding.Brotli]));
    }

    [Theory]
    [InlineData("zstd,br,gzip", new[] { ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip })]
    [InlineData(" gzip , x-gzip ", new[] { ContentCoding.Gzip })]
    public void CodingListsParse(string text, ContentCoding[] expected)
    {
        Assert.Equal(expected, ContentCodings.ParseList(text, out _));
    }

    [Theory]
    [InlineData("deflate")]
    [InlineData("gzip,identity")]
    [InlineData("")]
    public void UnknownCodingsInAListAreNamed(string text)
    {
        Assert.Null(ContentCodings.ParseList(text, out string? error));
        Assert.NotNull(error);
    }
}
