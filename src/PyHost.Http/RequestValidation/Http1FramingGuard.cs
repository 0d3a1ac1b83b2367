using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http.RequestValidation;

/// <summary>
/// A connection's input as Kestrel reads it, run through <see cref="Http1FramingScanner"/> first. Kestrel gets
/// every byte before a violation, so a valid request pipelined ahead of a bad one is still served; when it asks past
/// the violation, the read throws a 400 <see cref="BadHttpRequestException"/>, which Kestrel answers itself (a bad
/// head: 400 and close) or hands the app as a failed body read (a bad chunk: the front's 400 page, then close).
/// Costs one extra call per read, and a scan of each head's line starts; body bytes are skipped by count.
/// </summary>
internal sealed class Http1FramingGuard : PipeReader
{
    private readonly PipeReader _inner;
    private readonly Http1FramingScanner _scanner = new();
    private ReadOnlySequence<byte> _lastBuffer;
    private long _bufferStart;              // stream offset of _lastBuffer's first byte
    private bool _consumerWantsPastViolation;
    private BadHttpRequestException? _error;
    private bool _failed;

    private Http1FramingGuard(PipeReader inner) => _inner = inner;

    /// <summary>The connection middleware: every HTTP/1.x connection's input goes through a guard of its own.</summary>
    public static ConnectionDelegate Use(ConnectionDelegate next) => connection =>
    {
        IDuplexPipe transport = connection.Transport;
        connection.Transport = new Transport(new Http1FramingGuard(transport.Input), transport.Output);
        return next(connection);
    };

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_failed)
        {
            throw _error!;
        }
        ValueTask<ReadResult> read = _inner.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Inspect(read.Result)) : InspectAsync(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> InspectAsync(ValueTask<ReadResult> read) => Inspect(await read);

    public override bool TryRead(out ReadResult result)
    {
        if (_failed)
        {
            throw _error!;
        }
        if (!_inner.TryRead(out ReadResult inner))
        {
            result = default;
            return false;
        }
        result = Inspect(inner);
        return true;
    }

    private ReadResult Inspect(ReadResult result)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        _lastBuffer = buffer;
        if (_scanner.IsPassThrough)
        {
            return result;
        }
        long end = _bufferStart + buffer.Length;
        if (_error is null && _scanner.Offset < end)
        {
            foreach (ReadOnlyMemory<byte> segment in buffer.Slice(_scanner.Offset - _bufferStart))
            {
                if (!_scanner.Scan(segment.Span))
                {
                    _error = new BadHttpRequestException(_scanner.Violation!, StatusCodes.Status400BadRequest);
                    break;
                }
                if (_scanner.IsPassThrough)
                {
                    return result;
                }
            }
        }
        if (_error is null)
        {
            return result;
        }
        long allowed = _scanner.ViolationOffset - _bufferStart;
        if (allowed <= 0 || _consumerWantsPastViolation)
        {
            // Nothing before the violation is left to read: end this read and fail it, and every read after it.
            _inner.AdvanceTo(buffer.Start, buffer.End);
            _failed = true;
            throw _error;
        }
        return new ReadResult(buffer.Slice(0, allowed), result.IsCanceled, isCompleted: false);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_scanner.IsPassThrough)
        {
            long start = _lastBuffer.GetOffset(_lastBuffer.Start);
            if (_error is not null && _bufferStart + _lastBuffer.GetOffset(examined) - start >= _scanner.ViolationOffset)
            {
                _consumerWantsPastViolation = true;
            }
            _bufferStart += _lastBuffer.GetOffset(consumed) - start;
        }
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
