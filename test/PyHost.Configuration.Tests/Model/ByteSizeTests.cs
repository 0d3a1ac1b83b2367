using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class ByteSizeTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("512", 512L)]
    [InlineData("512B", 512L)]
    [InlineData("64KiB", 65536L)]
    [InlineData("1MiB", 1048576L)]
    [InlineData("1.5MiB", 1572864L)]
    [InlineData("2GiB", 2147483648L)]
    [InlineData("1KB", 1000L)]
    [InlineData("1MB", 1000000L)]
    [InlineData("1GB", 1000000000L)]
    [InlineData("8k", 8192L)]
    [InlineData("1m", 1048576L)]
    [InlineData("1g", 1073741824L)]
    [InlineData(" 10 MiB ", 10485760L)]
    public void ParsesSizesWithAndWithoutUnits(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out string? error, out ByteSize size), error);
        Assert.Equal(bytes, size.Bytes);
    }

    [Theory]
    [InlineData("10 megabytes", "not a size unit")]
    [InlineData("1.5B", "whole number of bytes")]
    [InlineData("MiB", "a size is a number")]
    [InlineData("-1KiB", "a size is a number")]
    public void RefusesWhatIsNotASize(string text, string message)
    {
        Assert.False(ByteSize.TryParse(text, out string? error, out _));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData(65536L, "64KiB")]
    [InlineData(1073741824L, "1GiB")]
    [InlineData(1000000000L, "1GB")]
    [InlineData(240L, "240B")]
    [InlineData(0L, "0")]
    public void PrintsTheShortestExactForm(long bytes, string text) => Assert.Equal(text, new ByteSize(bytes).ToString());
}
