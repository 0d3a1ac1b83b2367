using System.Buffers;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Tests.Dispatch;

public sealed class ResponseBufferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pyhost-buffer-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Drain(ResponseBuffer buffer)
    {
        var drained = new List<byte>();
        while (buffer.TryTake(out byte[] array, out int length))
        {
            drained.AddRange(array.AsSpan(0, length).ToArray());
            ArrayPool<byte>.Shared.Return(array);
        }
        return drained.ToArray();
    }

    [Fact]
    public void BytesComeOutInOrderAcrossMemoryAndTheFileAndBack()
    {
        BufferBudget budget = Budgets.Create(_directory, responseMemory: 100_000);
        using var buffer = new ResponseBuffer(budget);
        byte[] first = Bytes(80_000, 1), second = Bytes(300_000, 2), third = Bytes(5_000, 3);

        Assert.True(buffer.Append(new ReadOnlySequence<byte>(first)));
        Assert.True(buffer.Append(new ReadOnlySequence<byte>(second)));   // over the memory limit: to the file
        Assert.True(buffer.Append(new ReadOnlySequence<byte>(third)));    // the file has unread bytes: behind them
        Assert.True(budget.DiskInUse > 0);

        Assert.Equal([.. first, .. second, .. third], Drain(buffer));
        Assert.Equal(0, buffer.Length);
        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(0, budget.DiskInUse);

        byte[] fourth = Bytes(1_000, 4);
        Assert.True(buffer.Append(new ReadOnlySequence<byte>(fourth)));   // drained: memory again
        Assert.Equal(0, budget.DiskInUse);
        Assert.Equal(fourth, Drain(buffer));
    }

    [Fact]
    public void BytesOverEveryBudgetAreKeptButSayTheyMustWaitForTheClient()
    {
        BufferBudget budget = Budgets.Create(_directory, memoryTotal: 10_000, diskTotal: 20_000, responseMemory: 10_000);
        using var buffer = new ResponseBuffer(budget);
        byte[] data = Bytes(45_000, 5);

        Assert.True(buffer.Append(new ReadOnlySequence<byte>(data.AsMemory(0, 10_000))));
        Assert.True(buffer.Append(new ReadOnlySequence<byte>(data.AsMemory(10_000, 20_000))));
        Assert.False(buffer.Append(new ReadOnlySequence<byte>(data.AsMemory(30_000, 15_000))));

        Assert.Equal(data, Drain(buffer));
        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(0, budget.DiskInUse);
    }

    [Fact]
    public void ASmallBodyHoldsASmallArrayAndAStreamGrowsItsSegments()
    {
        BufferBudget budget = Budgets.Create(_directory);
        using var buffer = new ResponseBuffer(budget);
        Assert.True(buffer.Append(new ReadOnlySequence<byte>("Hello, world!"u8.ToArray())));

        Assert.True(buffer.TryTake(out byte[] small, out int length));
        Assert.Equal(13, length);
        Assert.True(small.Length <= 4096, $"a 13-byte body took a {small.Length}-byte array");
        ArrayPool<byte>.Shared.Return(small);

        byte[] stream = Bytes(200_000, 6);
        for (int offset = 0; offset < stream.Length; offset += 1_000)
        {
            Assert.True(buffer.Append(new ReadOnlySequence<byte>(stream.AsMemory(offset, 1_000))));
        }
        var sizes = new List<int>();
        var drained = new List<byte>();
        while (buffer.TryTake(out byte[] array, out int taken))
        {
            sizes.Add(array.Length);
            drained.AddRange(array.AsSpan(0, taken).ToArray());
            ArrayPool<byte>.Shared.Return(array);
        }
        Assert.Equal(stream, drained.ToArray());
        Assert.True(sizes.Count <= 8, $"segments of {string.Join(", ", sizes)}");   // 4, 8, 16, 32, 64, 64, 64 KiB
    }

    [Fact]
    public void DisposingGivesBackWhatWasNotTaken()
    {
        BufferBudget budget = Budgets.Create(_directory, responseMemory: 1_000);
        var buffer = new ResponseBuffer(budget);
        buffer.Append(new ReadOnlySequence<byte>(Bytes(500, 6)));
        buffer.Append(new ReadOnlySequence<byte>(Bytes(5_000, 7)));

        buffer.Dispose();

        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(0, budget.DiskInUse);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void TheTemporaryFileIsUnlinkedAtOnceAndNeverListed()
    {
        BufferBudget budget = Budgets.Create(_directory, responseMemory: 10);
        using var buffer = new ResponseBuffer(budget);

        buffer.Append(new ReadOnlySequence<byte>(Bytes(1_000, 8)));

        Assert.True(budget.DiskInUse > 0);
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
