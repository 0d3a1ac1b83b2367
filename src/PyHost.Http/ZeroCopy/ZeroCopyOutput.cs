using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// The connection's output as Kestrel sees it: bytes go into a pipe that <see cref="ZeroCopyConnection"/>'s send loop
/// takes to the socket, as Kestrel's own transport does; and a queued <see cref="FileSegment"/> makes the next bytes
/// advanced "phantom" ones: counted as the file's (so Kestrel's Content-Length check holds), never stored, never sent.
/// The send loop puts the file itself in their place. Flushing waits for queued files to be sent, so a response does
/// not end, and a slow client does not let work pile up, before its file is on the wire (back-pressure).
/// </summary>
internal sealed class ZeroCopyOutput(PipeWriter bytes) : PipeWriter
{
    // Phantom bytes are written by nobody and read by nobody: one buffer serves every connection.
    private static readonly byte[] PhantomMemory = GC.AllocateUninitializedArray<byte>(1024 * 1024);

    private readonly Queue<FileSegment> _segments = new();
    private long _written;        // bytes advanced into the pipe (phantom bytes not counted)
    private long _phantomLeft;    // bytes still to be advanced for the last queued file
    private byte[]? _boundary;    // for a writer that asks for more memory than the file has bytes left
    private FileSegment? _lastQueued;
    private int _queuedCount;     // read without the lock: most connections never queue a file

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => bytes.UnflushedBytes;

    public FileSegment Queue(SafeFileHandle file, long offset, long length, SentFileSource source)
    {
        if (_phantomLeft > 0)
        {
            throw new InvalidOperationException("The bytes of the file queued before have not all been advanced yet.");
        }
        var segment = new FileSegment(file, offset, length, _written, source);
        lock (_segments)
        {
            _segments.Enqueue(segment);
            _queuedCount = _segments.Count;
        }
        _lastQueued = segment;
        _phantomLeft = length;
        return segment;
    }

    /// <summary>The file that comes next on the wire, if any.</summary>
    public FileSegment? NextSegment()
    {
        if (Volatile.Read(ref _queuedCount) == 0)
        {
            return null;
        }
        lock (_segments)
        {
            return _segments.TryPeek(out FileSegment? next) ? next : null;
        }
    }

    public void RemoveSent(FileSegment segment)
    {
        lock (_segments)
        {
            _segments.TryDequeue(out _);
            _queuedCount = _segments.Count;
        }
        segment.Finish();
    }

    /// <summary>The connection is gone: every file not yet sent is done with what it got.</summary>
    public void AbandonQueued()
    {
        lock (_segments)
        {
            while (_segments.TryDequeue(out FileSegment? segment))
            {
                segment.Finish();
            }
            _queuedCount = 0;
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_phantomLeft == 0)
        {
            return bytes.GetMemory(sizeHint);
        }
        if (sizeHint <= _phantomLeft)
        {
            // No more than the file has left: a writer cannot put the bytes that follow it in there by mistake.
            return PhantomMemory.AsMemory(0, (int)Math.Min(_phantomLeft, PhantomMemory.Length));
        }
        _boundary ??= new byte[Math.Max(sizeHint, 4096)];
        if (_boundary.Length < sizeHint)
        {
            _boundary = new byte[sizeHint];
        }
        return _boundary;
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int count)
    {
        if (_phantomLeft == 0)
        {
            bytes.Advance(count);
            _written += count;
            return;
        }
        if (count <= _phantomLeft)
        {
            _phantomLeft -= count;
            return;
        }
        // The memory came from _boundary: past the file's end the bytes are real.
        int fileBytes = (int)_phantomLeft;
        _phantomLeft = 0;
        bytes.Write(_boundary!.AsSpan(fileBytes, count - fileBytes));
        _written += count - fileBytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ValueTask<FlushResult> flush = bytes.FlushAsync(cancellationToken);
        FileSegment? queued = _lastQueued;
        if (queued is null || queued.Done.IsCompleted)
        {
            _lastQueued = null;
            return flush;
        }
        return FlushAndWaitForFileAsync(flush, queued, cancellationToken);
    }

    public override void CancelPendingFlush() => bytes.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => bytes.Complete(exception);

    private async ValueTask<FlushResult> FlushAndWaitForFileAsync(ValueTask<FlushResult> flush, FileSegment queued, CancellationToken cancellationToken)
    {
        FlushResult result = await flush;
        if (result.IsCompleted || result.IsCanceled)
        {
            return result;
        }
        long sent = await queued.Done.WaitAsync(cancellationToken);
        return new FlushResult(isCanceled: false, isCompleted: sent < queued.Length);
    }
}
