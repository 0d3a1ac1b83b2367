using System.Buffers;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

// The pump: the dispatching task, handing the response to the listener as it arrives and the client takes it.
internal sealed partial class WorkerRequest
{
    private long _drainCreditOwed;

    public async ValueTask<DispatchOutcome> PumpAsync()
    {
        try
        {
            while (true)
            {
                if (_extras && _webSocketAccept is not null)
                {
                    return await RunWebSocketAsync();
                }
                ResponseHead? head = null;
                lock (_lock)
                {
                    if (_head is not null && !_headTaken)
                    {
                        head = _head;
                        _headTaken = true;
                    }
                }
                if (head is not null && !_clientGone)
                {
                    if (_extras && _fileError is not null)
                    {
                        return await RefuseFileAsync();
                    }
                    Exchange.StartResponse(head);
                }
                long written = 0;
                while (TryTakeChunk(out byte[] chunk, out int length))
                {
                    if (!_clientGone)
                    {
                        Exchange.WriteBody(chunk.AsSpan(0, length));
                    }
                    ArrayPool<byte>.Shared.Return(chunk);
                    written += length;
                }

                bool finished;
                lock (_lock)
                {
                    finished = _ended && (_buffer is null || _buffer.Length == 0);
                }
                if (_extras && _headTaken && (_file is not null || _fileError is not null) && !_fileDone)
                {
                    if (!await SendFileOrFailAsync())
                    {
                        return Outcome();
                    }
                    continue;
                }
                if (finished && _extras)
                {
                    AppendTrailers();
                }
                if (written > 0 || head is not null)
                {
                    // Flushed even at the end: Kestrel does not always send body bytes left unflushed when a
                    // response with a Content-Length completes (seen with 1 MiB and more: the client waits forever).
                    if (!_clientGone && !await Exchange.FlushAsync())
                    {
                        OnClientAborted();
                    }
                    CreditDrained(written);
                    if (!finished)
                    {
                        continue;   // more may have come while the client took these
                    }
                }
                if (finished)
                {
                    return Outcome();
                }
                await _signal.WaitAsync();
            }
        }
        finally
        {
            lock (_lock)
            {
                _buffer?.Dispose();
            }
            _file?.Dispose();
        }
    }

    private bool TryTakeChunk(out byte[] chunk, out int length)
    {
        lock (_lock)
        {
            if (_buffer is not null)
            {
                return _buffer.TryTake(out chunk, out length);
            }
        }
        chunk = [];
        length = 0;
        return false;
    }

    /// <summary>Bytes the worker was not given credit for when they arrived get it now that the client took them.</summary>
    private void CreditDrained(long written)
    {
        long due;
        lock (_lock)
        {
            due = Math.Min(written, _drainCredit);
            _drainCredit -= due;
            if (_ended)
            {
                return;
            }
        }
        _drainCreditOwed += due;
        if (_drainCreditOwed >= CreditBatch || (_drainCreditOwed > 0 && _unbuffered))
        {
            SendCredit(_drainCreditOwed);
            _drainCreditOwed = 0;
        }
    }

    private DispatchOutcome Outcome()
    {
        if (_failure is { } failure)
        {
            return _clientGone && failure != DispatchOutcome.NotStarted ? DispatchOutcome.ClientGone : failure;
        }
        if ((_endFlags & FrameFlags.NotStarted) != 0)
        {
            return _clientGone ? DispatchOutcome.ClientGone : DispatchOutcome.NotStarted;
        }
        if (_clientGone)
        {
            return DispatchOutcome.ClientGone;
        }
        if (!_started && _bodyTooLarge)
        {
            return DispatchOutcome.RequestBodyTooLarge;
        }
        if (!_started && _bodyFailed)
        {
            return DispatchOutcome.RequestBodyFailed;
        }
        if (!_started)
        {
            if (!_invalid)
            {
                LogInvalidResponse(_channel.Name, Exchange.Describe(), "the response ended before start_response was called");
            }
            return DispatchOutcome.InvalidResponse;
        }
        if ((_endFlags & FrameFlags.AppError) != 0 || _fileFailedAfterStart)
        {
            return DispatchOutcome.AppErrorAfterStart;
        }
        if (_remaining > 0 && !_dropBody)
        {
            LogBodyIncomplete(_channel.Name, Exchange.Describe(), _head!.ContentLength ?? 0, _remaining);
            return DispatchOutcome.IncompleteBody;
        }
        return DispatchOutcome.Completed;
    }

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "{Worker}: invalid response to {Request}: {Reason}; answered 500")]
    private partial void LogInvalidResponse(string worker, string request, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "{Worker}: the app sent more than its Content-Length of {ContentLength} for {Request}; the rest was dropped")]
    private partial void LogBodyTruncated(string worker, string request, long contentLength);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "{Worker}: the app declared Content-Length {ContentLength} for {Request} but sent {Missing} bytes less; connection closed")]
    private partial void LogBodyIncomplete(string worker, string request, long contentLength, long missing);
}
