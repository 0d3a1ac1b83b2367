using System.Buffers;

namespace PyHost.Workers.Dispatch.Buffering;

public enum RequestBodyMode
{
    /// <summary>No body: the worker is told so with the request.</summary>
    None,

    /// <summary>The whole body is in the front (memory or a temporary file): the worker reads it at full speed.</summary>
    Buffered,

    /// <summary>The body is still with the client: the worker pulls it as the app reads (request buffering off).</summary>
    Streamed,
}

/// <summary>
/// A request body as the worker will read it. Reading it whole before a worker is involved is what keeps a slow
/// upload from holding a worker (issue: slow clients): the front reads at the client's pace, the worker at its own.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private const int FileChunk = 64 * 1024;

    private readonly BufferBudget? _budget;
    private byte[]? _memory;          // rented; the whole body when it fits in memory
    private long _memoryReserved;
    private TempFile? _file;
    private long _diskReserved;
    private readonly Lock _leaseLock = new();
    private int _leases;              // sends under way that point into _memory
    private byte[]? _disposedMemory;  // returned to the pool when the last of them ends

    private RequestBody(RequestBodyMode mode, BufferBudget? budget)
    {
        Mode = mode;
        _budget = budget;
    }

    public static RequestBody None { get; } = new(RequestBodyMode.None, null);

    public static RequestBody Streamed { get; } = new(RequestBodyMode.Streamed, null);

    public RequestBodyMode Mode { get; }

    /// <summary>The body's length once buffered.</summary>
    public long Length { get; private set; }

    /// <summary>True when the whole body is in memory (it can go out with the request, no pull needed).</summary>
    public bool InMemory => _memory is not null && _file is null;

    /// <summary>Copies body bytes from <paramref name="offset"/> on; returns how many (0 at the end).</summary>
    public int Read(long offset, Span<byte> destination)
    {
        int wanted = (int)Math.Min(destination.Length, Length - offset);
        if (wanted <= 0)
        {
            return 0;
        }
        if (_file is not null)
        {
            return _file.Read(offset, destination[..wanted]);
        }
        _memory.AsSpan((int)offset, wanted).CopyTo(destination);
        return wanted;
    }

    /// <summary>
    /// Reads the whole body from the client: in memory up to <see cref="BufferLimits.RequestBodyMemory"/>, then into a
    /// temporary file, up to the route's maximum size. The outcome is null on success, else what to answer.
    /// </summary>
    public static async ValueTask<(RequestBody? Body, DispatchOutcome? Failure)> ReadAsync(
        IWorkerExchange exchange, long? maxSize, BufferBudget budget)
    {
        RequestBodyInfo info = exchange.Body;
        if (!info.HasBody)
        {
            return (None, null);
        }
        if (info.ContentLength > maxSize)
        {
            return (null, DispatchOutcome.RequestBodyTooLarge);
        }
        var body = new RequestBody(RequestBodyMode.Buffered, budget);
        try
        {
            DispatchOutcome? failure = await body.FillAsync(exchange, info.ContentLength, maxSize ?? long.MaxValue);
            if (failure is not null)
            {
                body.Dispose();
                return (null, failure);
            }
            return (body, null);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private async ValueTask<DispatchOutcome?> FillAsync(IWorkerExchange exchange, long? declared, long maxSize)
    {
        BufferBudget budget = _budget!;
        // In memory while it fits (a body of exactly the limit fits); one byte of room more than the body can have
        // tells "ended" from "full". A body known to be larger, or one that finds the memory budget used up, goes to a
        // file from the start.
        int limit = budget.Limits.RequestBodyMemory;
        int memorySize = (int)Math.Min(limit, declared ?? limit) + 1;
        bool inMemory = declared is null || declared <= limit;
        if (inMemory && budget.TryReserveMemory(memorySize))
        {
            _memoryReserved = memorySize;
        }
        else
        {
            memorySize = (int)Math.Min(FileChunk, memorySize);
        }
        _memory = ArrayPool<byte>.Shared.Rent(memorySize);
        try
        {
            var writer = new ArrayWriter(_memory, 0, memorySize);
            while (_memoryReserved > 0 && writer.Remaining > 0)
            {
                int read = await exchange.ReadBodyAsync(writer, writer.Remaining);
                if (writer.Position > maxSize)
                {
                    return DispatchOutcome.RequestBodyTooLarge;   // at once: the client may be waiting for an answer
                }
                if (read == 0)
                {
                    Length = writer.Position;
                    return null;
                }
            }
            Length = writer.Position;
            if (Length > maxSize)
            {
                return DispatchOutcome.RequestBodyTooLarge;
            }
            return await SpillAsync(exchange, maxSize);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The client went away or sent a malformed body; the exchange kept the error for its answer.
            return DispatchOutcome.RequestBodyFailed;
        }
    }

    /// <summary>Moves what is in memory to a temporary file and reads the rest of the body into it.</summary>
    private async ValueTask<DispatchOutcome?> SpillAsync(IWorkerExchange exchange, long maxSize)
    {
        BufferBudget budget = _budget!;
        if (!budget.TryReserveDisk(Length))
        {
            return DispatchOutcome.BufferSpaceExhausted;
        }
        _diskReserved = Length;
        _file = TempFile.Create(budget.Limits.Directory);
        _file.Write(0, _memory.AsSpan(0, (int)Length));
        // The array is the read buffer from here on; the memory it held is the file's now.
        byte[] chunk = _memory!;
        _budget!.ReleaseMemory(_memoryReserved);
        _memoryReserved = 0;
        bool ended = false;
        while (!ended)
        {
            // A whole chunk per write: the client's reads come in socket-sized pieces (a few KiB), and one pwrite per
            // piece cost more than the copy.
            var writer = new ArrayWriter(chunk, 0, Math.Min(FileChunk, chunk.Length));
            while (writer.Remaining > 0)
            {
                if (await exchange.ReadBodyAsync(writer, writer.Remaining) == 0)
                {
                    ended = true;
                    break;
                }
                if (Length + writer.Position > maxSize)
                {
                    return DispatchOutcome.RequestBodyTooLarge;   // at once: the client may be waiting for an answer
                }
            }
            int filled = writer.Position;
            if (filled == 0)
            {
                break;
            }
            if (!budget.TryReserveDisk(filled))
            {
                return DispatchOutcome.BufferSpaceExhausted;
            }
            _diskReserved += filled;
            _file.Write(Length, chunk.AsSpan(0, filled));
            Length += filled;
        }
        return null;
    }

    /// <summary>
    /// The in-memory body itself, for a send that gathers it rather than copying it (<see cref="InMemory"/> only). The
    /// bytes stay the body's until the lease is disposed, even if the body is disposed first (its request ended while
    /// the send was under way); a pooled array returned earlier could be handed out and overwritten mid-send.
    /// </summary>
    internal (ArraySegment<byte> Bytes, IDisposable Lease) LeaseMemory()
    {
        lock (_leaseLock)
        {
            byte[] memory = _memory ?? throw new InvalidOperationException("the body is not in memory");
            _leases++;
            return (new ArraySegment<byte>(memory, 0, (int)Length), new MemoryLease(this));
        }
    }

    private void EndLease()
    {
        lock (_leaseLock)
        {
            if (--_leases == 0 && _disposedMemory is not null)
            {
                ArrayPool<byte>.Shared.Return(_disposedMemory);
                _disposedMemory = null;
            }
        }
    }

    /// <summary>True once the body's memory went back to the pool (for tests).</summary>
    internal bool MemoryReturned
    {
        get
        {
            lock (_leaseLock)
            {
                return _memory is null && _disposedMemory is null;
            }
        }
    }

    private sealed class MemoryLease(RequestBody body) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                body.EndLease();
            }
        }
    }

    public void Dispose()
    {
        lock (_leaseLock)
        {
            if (_memory is not null)
            {
                if (_leases == 0)
                {
                    ArrayPool<byte>.Shared.Return(_memory);
                }
                else
                {
                    _disposedMemory = _memory;
                }
                _memory = null;
                _budget!.ReleaseMemory(_memoryReserved);
                _memoryReserved = 0;
            }
        }
        if (_file is not null)
        {
            _file.Dispose();
            _file = null;
            _budget!.ReleaseDisk(_diskReserved);
            _diskReserved = 0;
        }
    }
}
