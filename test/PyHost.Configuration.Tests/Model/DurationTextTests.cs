using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

public class DurationTextTests
{
    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0.5", 500)]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1m30s500ms", 90_500)]
    public void ParsesSecondsAndUnits(string text, long milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out TimeSpan duration, out string? error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("30 seconds")]
    [InlineData("s")]
    [InlineData("1w")]
    [InlineData("")]
    [InlineData("-5s")]
    public void RefusesWhatIsNotADuration(string text) => Assert.False(DurationText.TryParse(text, out _, out _));

    [Theory]
    [InlineData(30_000, "30s")]
    [InlineData(500, "500ms")]
    [InlineData(90_000, "1m30s")]
    [InlineData(31_536_000_000, "365d")]
    [InlineData(0, "0s")]
    public void FormatsAsTheConfigWritesIt(long milliseconds, string text)
    {
        Assert.Equal(text, DurationText.Format(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.True(DurationText.TryParse(text, out TimeSpan back, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), back);
    }
}
