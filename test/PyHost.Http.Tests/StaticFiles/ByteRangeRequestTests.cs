using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class ByteRangeRequestTests
{
    private const long Length = 10_000;

    [Theory]
    [InlineData("bytes=0-499", 0, 500)]
    [InlineData("bytes=500-999", 500, 500)]
    [InlineData("bytes=9500-", 9500, 500)]
    [InlineData("bytes=-500", 9500, 500)]
    [InlineData("bytes=0-0", 0, 1)]
    [InlineData("bytes=-1", 9999, 1)]
    [InlineData("bytes=9999-", 9999, 1)]
    [InlineData("bytes=0-", 0, Length)]
    [InlineData("bytes=5000-99999", 5000, 5000)]
    [InlineData("bytes=-99999", 0, Length)]
    [InlineData("bytes=0-99999999999999999999999", 0, Length)]
    [InlineData("bytes=-99999999999999999999999", 0, Length)]
    [InlineData("BYTES=0-9", 0, 10)]
    [InlineData("bytes = 0-9", 0, 10)]
    [InlineData("bytes=0-9,", 0, 10)]
    [InlineData("bytes=, 0-9", 0, 10)]
    public void OneSatisfiableRangeIsPartial(string header, long start, long length)
    {
        ByteRangeRequest range = ByteRangeRequest.Evaluate(header, Length);

        Assert.Equal(new ByteRangeRequest(ByteRangeKind.Partial, start, length), range);
        Assert.Equal($"bytes {start}-{start + length - 1}/{Length}", range.ContentRange(Length));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes=")]
    [InlineData("bytes=,")]
    [InlineData("items=0-9")]
    [InlineData("0-9")]
    [InlineData("bytes=abc")]
    [InlineData("bytes=5")]
    [InlineData("bytes=9-5")]
    [InlineData("bytes=-")]
    [InlineData("bytes=1-2-3")]
    [InlineData("bytes=+1-2")]
    [InlineData("bytes=0x10-20")]
    [InlineData("bytes=0-9,junk")]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("bytes=0-9,99999-")]
    public void MalformedOrMultipleRangesGetTheWholeRepresentation(string? header)
    {
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeRequest.Evaluate(header, Length).Kind);
    }

    [Theory]
    [InlineData("bytes=10000-")]
    [InlineData("bytes=10000-20000")]
    [InlineData("bytes=99999999999999999999999-")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=10000-,20000-")]
    public void RangesThatMissTheRepresentationAreNotSatisfiable(string header)
    {
        ByteRangeRequest range = ByteRangeRequest.Evaluate(header, Length);

        Assert.Equal(ByteRangeKind.NotSatisfiable, range.Kind);
        Assert.Equal($"bytes */{Length}", range.ContentRange(Length));
    }

    [Theory]
    [InlineData("bytes=0-")]
    [InlineData("bytes=-5")]
    [InlineData("bytes=5-9")]
    public void AnEmptyRepresentationIsSentWhole(string header)
    {
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeRequest.Evaluate(header, 0).Kind);
    }
}
