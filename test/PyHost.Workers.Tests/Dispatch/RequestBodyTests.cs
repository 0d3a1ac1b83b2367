using PyHost.Workers.Dispatch;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Tests.Dispatch;

public sealed class RequestBodyTests : IDisposable
{
    private const int MemoryLimit = 100_000;

    private readonly string _directory = Directory.CreateTempSubdirectory("pyhost-body-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] ReadBack(RequestBody body)
    {
        var copy = new byte[body.Length];
        long offset = 0;
        while (offset < copy.Length)
        {
            // Odd-sized reads, as pulls of another size would ask.
            int read = body.Read(offset, copy.AsSpan((int)offset, (int)Math.Min(7_777, copy.Length - offset)));
            Assert.True(read > 0);
            offset += read;
        }
        return copy;
    }

    private async Task<(RequestBody? Body, DispatchOutcome? Failure, BufferBudget Budget)> BufferAsync(byte[] sent, bool chunked = false,
        long? maxSize = null)
    {
        BufferBudget budget = Budgets.Create(_directory, requestBodyMemory: MemoryLimit);
        var (body, failure) = await RequestBody.ReadAsync(new FakeExchange("POST /", sent, chunked), maxSize, budget);
        return (body, failure, budget);
    }

    [Fact]
    public async Task AMemoryLeaseKeepsTheBytesPastDisposeAndGivesThemBackWhenItEnds()
    {
        byte[] sent = Bytes(10_000, 9);
        var (body, failure, budget) = await BufferAsync(sent);
        Assert.Null(failure);
        var (bytes, lease) = body!.LeaseMemory();
        Assert.Equal(sent, bytes.ToArray());

        body.Dispose();   // the request ended while its send was under way
        Assert.False(body.MemoryReturned);
        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(sent, bytes.ToArray());

        lease.Dispose();
        Assert.True(body.MemoryReturned);
        lease.Dispose();   // a second release changes nothing
        Assert.True(body.MemoryReturned);
    }

    [Fact]
    public async Task ABodyWhoseLeasesEndedGivesItsMemoryBackOnDispose()
    {
        var (body, _, _) = await BufferAsync(Bytes(5_000, 10));
        var (_, first) = body!.LeaseMemory();
        var (_, second) = body.LeaseMemory();
        first.Dispose();
        second.Dispose();
        Assert.False(body.MemoryReturned);
        body.Dispose();
        Assert.True(body.MemoryReturned);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyOfExactlyTheMemoryLimitStaysInMemory(bool chunked)
    {
        byte[] sent = Bytes(MemoryLimit, 1);
        var (body, failure, budget) = await BufferAsync(sent, chunked);
        using (body)
        {
            Assert.Null(failure);
            Assert.True(body!.InMemory);
            Assert.Equal(0, budget.DiskInUse);
            Assert.Equal(sent, ReadBack(body));
        }
        Assert.Equal(0, budget.MemoryInUse);
    }

    [Theory]
    [InlineData(false, MemoryLimit + 1)]
    [InlineData(true, MemoryLimit + 1)]
    [InlineData(false, 300_001)]       // several file chunks, the last one short; the fake client sends 10,000 at a time
    [InlineData(true, 3 * 65_536)]      // ends exactly on a chunk
    public async Task ALargerBodyGoesToAFileAndReadsBackTheSame(bool chunked, int length)
    {
        byte[] sent = Bytes(length, 2);
        var (body, failure, budget) = await BufferAsync(sent, chunked);
        using (body)
        {
            Assert.Null(failure);
            Assert.False(body!.InMemory);
            Assert.Equal(length, body.Length);
            Assert.Equal(length, budget.DiskInUse);
            Assert.Equal(sent, ReadBack(body));
        }
        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(0, budget.DiskInUse);
    }

    [Fact]
    public async Task AChunkedBodyOverTheRouteLimitIsRefusedWhileItIsRead()
    {
        var (body, failure, budget) = await BufferAsync(Bytes(250_000, 3), chunked: true, maxSize: 150_000);
        Assert.Null(body);
        Assert.Equal(DispatchOutcome.RequestBodyTooLarge, failure);
        Assert.Equal(0, budget.MemoryInUse);
        Assert.Equal(0, budget.DiskInUse);
    }
}
