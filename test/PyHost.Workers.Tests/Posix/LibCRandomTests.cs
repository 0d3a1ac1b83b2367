using PyHost.Workers.Posix;

namespace PyHost.Workers.Tests.Posix;

public sealed class LibCRandomTests
{
    [Fact]
    public void FillRandomFillsEveryByteAndNeverRepeats()
    {
        byte[] first = new byte[16], second = new byte[16];
        LibC.FillRandom(first);
        LibC.FillRandom(second);
        Assert.NotEqual(first, second);

        // Larger than one getrandom(2) call may return at once for some sources: the loop fills it all. A 1 MiB
        // buffer of random bytes has each byte value about 4,096 times; a tail left zero would show as a spike of 0s.
        byte[] large = new byte[1024 * 1024];
        LibC.FillRandom(large);
        int zeros = large.Count(value => value == 0);
        Assert.InRange(zeros, 3_000, 5_200);
        Assert.NotEqual(0, large[^1] | large[^2] | large[^3] | large[^4]);
    }
}
