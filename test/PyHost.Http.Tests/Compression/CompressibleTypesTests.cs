using PyHost.Http.Compression;

namespace PyHost.Http.Tests.Compression;

public class CompressibleTypesTests
{
    [Theory]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("text/css")]
    [InlineData("TEXT/PLAIN")]
    [InlineData("text/event-stream")]
    [InlineData("text/javascript")]
    [InlineData("application/json")]
    [InlineData("application/problem+json")]
    [InlineData("application/ld+json; charset=utf-8")]
    [InlineData("application/javascript")]
    [InlineData("application/xml")]
    [InlineData("application/atom+xml")]
    [InlineData("image/svg+xml")]
    [InlineData("application/wasm")]
    [InlineData("font/ttf")]
    public void TextAndStructuredTextAreCompressible(string contentType)
    {
        Assert.True(CompressibleTypes.Default.IsCompressible(contentType));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("image/png")]
    [InlineData("image/jpeg")]
    [InlineData("image/webp")]
    [InlineData("font/woff2")]
    [InlineData("video/mp4")]
    [InlineData("audio/ogg")]
    [InlineData("application/zip")]
    [InlineData("application/gzip")]
    [InlineData("application/octet-stream")]
    [InlineData("application/pdf")]
    [InlineData("multipart/byteranges; boundary=x")]
    public void CompressedFormatsAndUnknownTypesAreNot(string? contentType)
    {
        Assert.False(CompressibleTypes.Default.IsCompressible(contentType));
    }

    [Fact]
    public void AlreadyCompressedFormatsStayOutWhateverThePatternsSay()
    {
        var everything = new CompressibleTypes(["image/*", "application/*"]);

        Assert.True(everything.IsCompressible("image/bmp"));
        Assert.False(everything.IsCompressible("image/png"));
        Assert.False(everything.IsCompressible("application/zip"));
    }
}
