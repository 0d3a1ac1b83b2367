using System.Buffers;

namespace PyHost.Workers.Dispatch.Buffering;

/// <summary>
/// Response bytes a worker sent that the client has not taken yet: in memory up to a limit per response, then in a
/// temporary file (nginx's proxy_buffers and proxy_temp_path). Bytes come out in the order they went in: while the
/// file holds unread bytes, new ones go to the file too. Not thread-safe: its owner locks around it.
/// </summary>
public sealed class ResponseBuffer : IDisposable
{
    internal const int SegmentSize = 64 * 1024;

    // A segment is sized to what comes, from 4 KiB up to SegmentSize, doubling as a stream goes on: a 13-byte answer
    // must not hold a 64 KiB array. With hundreds of responses in flight the pool has no 64 KiB arrays left, and each
    // one was a fresh, zeroed gen0 allocation (measured at -c256: a fifth of the front's CPU in allocation and GC).
    private const int MinSegmentSize = 4 * 1024;

    private readonly BufferBudget _budget;
    private readonly Queue<Segment> _segments = new();
    private Segment? _tail;
    private long _memoryBytes;
    private long _memoryReserved;   // of _memoryBytes, what the budget accounts for
    private TempFile? _file;
    private long _fileWritten;
    private long _fileRead;
    private long _diskReserved;     // of the file's unread bytes, what the budget accounts for

    public ResponseBuffer(BufferBudget budget)
    {
        _budget = budget;
    }

    /// <summary>Bytes waiting for the client.</summary>
    public long Length => _memoryBytes + (_fileWritten - _fileRead);

    /// <summary>
    /// Stores bytes, always. True when they fit a budget, so the worker may be given credit for them at once; false
    /// when every budget is full: they are kept anyway (the worker's credit bounds them) and their credit must wait
    /// until the client took them.
    /// </summary>
    public bool Append(ReadOnlySequence<byte> data)
    {
        long length = data.Length;
        if (length == 0)
        {
            return true;
        }
        bool fileFirst = _fileWritten > _fileRead;
        if (!fileFirst && _memoryBytes + length <= _budget.Limits.ResponseMemory && _budget.TryReserveMemory(length))
        {
            AppendToMemory(data);
            _memoryReserved += length;
            return true;
        }
        if (_fileWritten + length <= _budget.Limits.ResponseDisk && _budget.TryReserveDisk(length))
        {
            AppendToFile(data);
            _diskReserved += length;
            return true;
        }
        // Over every budget: kept where the order needs it, outside the budget.
        if (fileFirst)
        {
            AppendToFile(data);
        }
        else
        {
            AppendToMemory(data);
        }
        return false;
    }

    private void AppendToMemory(ReadOnlySequence<byte> data)
    {
        long left = data.Length;
        foreach (ReadOnlyMemory<byte> piece in data)
        {
            ReadOnlySpan<byte> span = piece.Span;
            while (!span.IsEmpty)
            {
                if (_tail is null || _tail.Free == 0)
                {
                    long wanted = Math.Max(left, _tail is null ? 0 : 2L * _tail.Array.Length);
                    _tail = new Segment(ArrayPool<byte>.Shared.Rent((int)Math.Clamp(wanted, MinSegmentSize, SegmentSize)));
                    _segments.Enqueue(_tail);
                }
                int count = Math.Min(_tail.Free, span.Length);
                span[..count].CopyTo(_tail.Array.AsSpan(_tail.End));
                _tail.End += count;
                span = span[count..];
                left -= count;
            }
        }
        _memoryBytes += data.Length;
    }

    private void AppendToFile(ReadOnlySequence<byte> data)
    {
        _file ??= TempFile.Create(_budget.Limits.Directory);
        foreach (ReadOnlyMemory<byte> piece in data)
        {
            _file.Write(_fileWritten, piece.Span);
            _fileWritten += piece.Length;
        }
    }

    /// <summary>
    /// Takes the oldest bytes: a rented array (the caller returns it to <see cref="ArrayPool{T}.Shared"/>) and how
    /// many bytes at its start hold them. False when empty.
    /// </summary>
    public bool TryTake(out byte[] array, out int length)
    {
        if (_segments.TryDequeue(out Segment? segment))
        {
            if (segment == _tail)
            {
                _tail = null;
            }
            array = segment.Array;
            length = segment.End;
            _memoryBytes -= length;
            long release = Math.Min(_memoryReserved, length);
            _memoryReserved -= release;
            _budget.ReleaseMemory(release);
            return true;
        }
        if (_fileWritten > _fileRead)
        {
            int count = (int)Math.Min(SegmentSize, _fileWritten - _fileRead);
            array = ArrayPool<byte>.Shared.Rent(count);
            length = _file!.Read(_fileRead, array.AsSpan(0, count));
            _fileRead += length;
            long release = Math.Min(_diskReserved, length);
            _diskReserved -= release;
            _budget.ReleaseDisk(release);
            if (_fileRead == _fileWritten)
            {
                _fileRead = _fileWritten = 0;   // drained: the file's space is reused from its start
            }
            return true;
        }
        array = [];
        length = 0;
        return false;
    }

    public void Dispose()
    {
        while (_segments.TryDequeue(out Segment? segment))
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
        }
        _tail = null;
        _budget.ReleaseMemory(_memoryReserved);
        _budget.ReleaseDisk(_diskReserved);
        _memoryBytes = _memoryReserved = _diskReserved = 0;
        _fileWritten = _fileRead = 0;
        _file?.Dispose();
        _file = null;
    }

    private sealed class Segment(byte[] array)
    {
        public byte[] Array { get; } = array;
        public int End;
        public int Free => Array.Length - End;
    }
}
