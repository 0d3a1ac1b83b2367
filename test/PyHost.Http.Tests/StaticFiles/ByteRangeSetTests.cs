using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public class ByteRangeSetTests
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
    [InlineData("bytes=0-9,99999-", 0, 10)]
    [InlineData("bytes=20000-30000, -0, 0-9", 0, 10)]
    public void OneSatisfiableRangeIsOnePart(string header, long start, long length)
    {
        ByteRangeSet set = ByteRangeSet.Evaluate(header, Length);

        Assert.Equal(ByteRangeKind.Partial, set.Kind);
        Assert.Equal([new ByteRange(start, length)], set.Ranges);
        Assert.Equal($"bytes {start}-{start + length - 1}/{Length}", set.Ranges[0].ContentRange(Length));
    }

    [Theory]
    [InlineData("bytes=0-9,20-29", "0+10 20+10")]
    [InlineData("bytes=20-29,0-9", "20+10 0+10")]
    [InlineData("bytes=0-9,10-19", "0+10 10+10")]
    [InlineData("bytes=-10,0-0", "9990+10 0+1")]
    [InlineData("bytes=0-0, 2-2 ,4-4", "0+1 2+1 4+1")]
    [InlineData("bytes=9000-, 0-99, 99999-", "9000+1000 0+100")]
    public void SeveralSatisfiableRangesAreKeptInTheOrderAsked(string header, string expected)
    {
        ByteRangeSet set = ByteRangeSet.Evaluate(header, Length);

        Assert.Equal(ByteRangeKind.Partial, set.Kind);
        Assert.Equal(expected, string.Join(' ', set.Ranges.Select(range => $"{range.Start}+{range.Length}")));
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
    public void MalformedRangesGetTheWholeRepresentation(string? header)
    {
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeSet.Evaluate(header, Length).Kind);
    }

    [Theory]
    [InlineData("bytes=0-9,5-14")]
    [InlineData("bytes=0-,100-199")]
    [InlineData("bytes=-100,9950-9959")]
    [InlineData("bytes=0-9,0-9")]
    public void OverlappingRangesGetTheWholeRepresentation(string header)
    {
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeSet.Evaluate(header, Length).Kind);
    }

    [Fact]
    public void MoreRangesThanTheBoundGetTheWholeRepresentation()
    {
        string sixteen = "bytes=" + string.Join(',', Enumerable.Range(0, 16).Select(i => $"{i * 10}-{i * 10 + 1}"));
        string seventeen = sixteen + ",500-501";

        Assert.Equal(16, ByteRangeSet.Evaluate(sixteen, Length).Ranges.Count);
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeSet.Evaluate(seventeen, Length).Kind);
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeSet.Evaluate("bytes=0-1,5-6,9-10", Length, maxRanges: 2).Kind);
    }

    [Theory]
    [InlineData("bytes=10000-")]
    [InlineData("bytes=10000-20000")]
    [InlineData("bytes=99999999999999999999999-")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=10000-,20000-")]
    public void RangesThatMissTheRepresentationAreNotSatisfiable(string header)
    {
        Assert.Equal(ByteRangeKind.NotSatisfiable, ByteRangeSet.Evaluate(header, Length).Kind);
        Assert.Equal($"bytes */{Length}", ByteRangeSet.UnsatisfiedContentRange(Length));
    }

    [Theory]
    [InlineData("bytes=0-")]
    [InlineData("bytes=-5")]
    [InlineData("bytes=5-9")]
    public void AnEmptyRepresentationIsSentWhole(string header)
    {
        Assert.Equal(ByteRangeKind.WholeRepresentation, ByteRangeSet.Evaluate(header, 0).Kind);
    }
}
