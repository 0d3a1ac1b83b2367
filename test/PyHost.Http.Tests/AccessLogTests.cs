using Xunit;

namespace PyHost.Http.Tests;

public class AccessLogTests
{
    [Theory]
    [InlineData(0, 0, "21/Nov/2026:06:32:45 +0000")]
    [InlineData(5, 30, "21/Nov/2026:06:32:45 +0530")]
    [InlineData(-8, 0, "21/Nov/2026:06:32:45 -0800")]
    public void FormatTimeWritesApachesCommonLogTime(int hours, int minutes, string expected)
    {
        var offset = new TimeSpan(hours, hours < 0 ? -minutes : minutes, 0);
        var time = new DateTimeOffset(2026, 11, 21, 6, 32, 45, offset);

        Assert.Equal(expected, AccessLog.FormatTime(time));
    }
}
