using PyHost.Workers.Channel;

namespace PyHost.Workers.Tests.Channel;

public sealed class AsyncSignalTests
{
    [Fact]
    public void ASetBeforeTheWaitIsRemembered()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        Assert.True(signal.WaitAsync().IsCompleted);
        Assert.False(signal.WaitAsync().IsCompleted);
    }

    [Fact]
    public void ASetWakesTheWaiterOnTheSettingThread()
    {
        var signal = new AsyncSignal();
        int? wokenOn = null;
        async Task WaitAsync()
        {
            // As in the server, where no synchronization context is there to post the continuation to.
            await signal.WaitAsync().ConfigureAwait(false);
            wokenOn = Environment.CurrentManagedThreadId;
        }
        Task waiting = WaitAsync();
        Assert.False(waiting.IsCompleted);

        signal.Set();

        Assert.True(waiting.IsCompleted);
        Assert.Equal(Environment.CurrentManagedThreadId, wokenOn);
    }

    [Fact]
    public async Task NoWakeUpIsLostUnderConcurrentSets()
    {
        var signal = new AsyncSignal();
        int produced = 0;
        int consumed = 0;
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Set();
            }
        });
        while (Volatile.Read(ref consumed) < 100_000)
        {
            await signal.WaitAsync();
            consumed = Volatile.Read(ref produced);
        }
        await producer;
        Assert.Equal(100_000, consumed);
    }
}
