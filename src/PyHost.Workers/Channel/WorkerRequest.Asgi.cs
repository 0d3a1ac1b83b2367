using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Workers.Channel;

// What an ASGI request adds to the response: progress for its own timeout, trailers, and a file the front sends.
internal sealed partial class WorkerRequest
{
    private const int FileSegment = 64 * 1024;
    private const int FileFlushEvery = 256 * 1024;

    private long _received;                      // RESPONSE_BODY bytes from the worker; receive loop only
    private long _granted = FrameLimits.ResponseWindow;   // credit given so far, the first window included
    private List<KeyValuePair<string, string>>? _trailers;
    private SafeFileHandle? _file;
    private string? _fileError;
    private bool _fileDone;
    private bool _fileFailedAfterStart;

    // Set by the receive loop when an ASGI frame asked the pump for more than head and body: one test on the hot path.
    private volatile bool _extras;

    /// <summary>When (Stopwatch timestamp) the worker last sent a frame for it: an ASGI request's timeout counts from
    /// there, so a long stream that keeps sending is never cut while a stuck coroutine is.</summary>
    public long LastProgress { get => Math.Max(Volatile.Read(ref _lastProgress), StartedAt); set => Volatile.Write(ref _lastProgress, value); }

    private long _lastProgress;

    // An ASGI response's head, parsed but not yet given to the pump (receive loop only). www.rst: the start message
    // is not sent to the client until the first body message; here, until the frame that follows RESPONSE_START
    // (RESPONSE_BODY, possibly empty, RESPONSE_FILE once the file is opened, or RESPONSE_END) has been handled. So a
    // file the front cannot open is still a 500, however the worker's write was split into reads, and whenever the
    // pump looks.
    private ResponseHead? _heldHead;

    private void ReleaseHeldHead()
    {
        if (_heldHead is { } head)
        {
            _heldHead = null;
            PublishHead(head);
        }
    }

    /// <summary>When the front sent CANCEL for it (--timeout); 0 if never.</summary>
    public long CancelledAt { get; set; }

    /// <summary>The worker is held up by the client, not by the app: its credit is used up, or it waits for request
    /// body the client has not sent. Such a request is not idle.</summary>
    public bool AwaitsClient => _received >= Interlocked.Read(ref _granted) || Volatile.Read(ref _pullsInFlight) > 0;

    private int _pullsInFlight;

    /// <summary>RESPONSE_TRAILERS: fields for the end of the response (kept only when the listener can send them).</summary>
    public void OnResponseTrailers(ReadOnlySequence<byte> payload)
    {
        ReleaseHeldHead();
        if (!_started || Exchange is not ITrailersExchange { CanSendTrailers: true })
        {
            return;
        }
        List<KeyValuePair<string, string>> fields = ParseFields(payload, out string? error);
        if (error is not null)
        {
            LogInvalidResponse(_channel.Name, Exchange.Describe(), "invalid trailers: " + error);
            return;
        }
        lock (_lock)
        {
            (_trailers ??= []).AddRange(fields);
        }
        _extras = true;
    }

    /// <summary>
    /// RESPONSE_FILE (<c>http.response.pathsend</c>): the file is the whole body; it is opened here, at once, so the
    /// pump knows before it flushes the headers whether it can be sent.
    /// </summary>
    public void OnResponseFile(ReadOnlySequence<byte> payload, bool allowed)
    {
        if (!_started || _file is not null || _fileError is not null)
        {
            throw new ProtocolException("RESPONSE_FILE before RESPONSE_START, or twice");
        }
        string path = Encoding.UTF8.GetString(payload);
        if (!allowed)
        {
            _fileError = $"pathsend is off while the workers run as another user (--user/--group): {path}";
        }
        else if (!Path.IsPathFullyQualified(path) || path.Contains('\0'))
        {
            _fileError = $"pathsend needs an absolute path, got '{path}'";
        }
        else if (!_dropBody && !_clientGone)
        {
            try
            {
                _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _fileError = $"pathsend cannot open {path}: {ex.Message}";
            }
        }
        _extras = true;
        ReleaseHeldHead();
    }

    /// <summary>The app named a file the front will not or cannot send, and nothing went out yet: 500.</summary>
    private async ValueTask<DispatchOutcome> RefuseFileAsync()
    {
        LogFileRefused(_channel.Name, Exchange.Describe(), _fileError!);
        await WaitForEndAsync();
        return _clientGone ? DispatchOutcome.ClientGone : DispatchOutcome.InvalidResponse;
    }

    /// <summary>The pump's turn for the file once the headers went out; false when the response cannot go on.</summary>
    private async ValueTask<bool> SendFileOrFailAsync()
    {
        _fileDone = true;
        if (_fileError is not null)
        {
            // The headers went out before the file was named: the client can only be told by a cut connection.
            LogFileRefused(_channel.Name, Exchange.Describe(), _fileError);
            _fileFailedAfterStart = true;
            await WaitForEndAsync();
            return false;
        }
        if (_clientGone || _file is null)
        {
            return true;
        }
        if (!await Exchange.FlushAsync() || !await SendFileAsync(_file) || !await Exchange.FlushAsync())
        {
            OnClientAborted();
        }
        return true;
    }

    private async ValueTask WaitForEndAsync()
    {
        while (true)
        {
            lock (_lock)
            {
                if (_ended)
                {
                    return;
                }
            }
            await _signal.WaitAsync();
        }
    }

    /// <summary>The pump: the file after the headers, within the app's Content-Length; false when the client left.</summary>
    private async ValueTask<bool> SendFileAsync(SafeFileHandle file)
    {
        // The listener may send it itself (sendfile(2)): only a declared length the file has, so that what it sends is
        // the body the head announced; a shorter file is copied, and Outcome() reports the short body as it always did.
        if (_head?.ContentLength is { } declared && declared > 0 && Exchange is IFileExchange files
            && RandomAccess.GetLength(file) >= declared && await files.TrySendFileAsync(file, declared) is { } sent)
        {
            _remaining = sent < declared ? declared - sent : -1;
            return sent == declared;
        }
        return await CopyFileAsync(file);
    }

    /// <summary>The file through the listener's response writer, read into a pooled buffer.</summary>
    private async ValueTask<bool> CopyFileAsync(SafeFileHandle file)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileSegment);
        try
        {
            long offset = 0;
            long limit = _head?.ContentLength ?? long.MaxValue;
            long unflushed = 0;
            while (offset < limit)
            {
                int count = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(FileSegment, limit - offset)), offset);
                if (count == 0)
                {
                    break;
                }
                Exchange.WriteBody(buffer.AsSpan(0, count));
                offset += count;
                unflushed += count;
                if (unflushed >= FileFlushEvery)
                {
                    unflushed = 0;
                    if (!await Exchange.FlushAsync())
                    {
                        return false;
                    }
                }
            }
            if (_head?.ContentLength is { } declared && offset < declared)
            {
                _remaining = declared - offset;   // Outcome() reports the short body
            }
            else
            {
                _remaining = -1;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Trailers, if any came, just before the response ends.</summary>
    private void AppendTrailers()
    {
        List<KeyValuePair<string, string>>? trailers;
        lock (_lock)
        {
            trailers = _trailers;
        }
        if (trailers is not null && !_clientGone && Exchange is ITrailersExchange listener)
        {
            listener.AppendTrailers(trailers);
        }
    }

    /// <summary>Reads <c>name \0 value \0 ...</c> (latin-1) and checks each field as RESPONSE_START's are checked.</summary>
    private static List<KeyValuePair<string, string>> ParseFields(ReadOnlySequence<byte> payload, out string? error)
    {
        var fields = new List<KeyValuePair<string, string>>();
        error = null;
        if (payload.IsEmpty)
        {
            return fields;
        }
        string[] parts = Encoding.Latin1.GetString(payload).Split('\0');
        if (parts.Length % 2 != 0)
        {
            error = "a field name has no value";
            return fields;
        }
        for (int i = 0; i < parts.Length; i += 2)
        {
            string name = parts[i];
            string value = parts[i + 1];
            if (!HttpTokens.IsToken(Encoding.Latin1.GetBytes(name)))
            {
                error = $"invalid field name '{name}' (RFC 9110 §5.1: a field name is a token)";
                return fields;
            }
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                error = $"field '{name}' has CR or LF in its value (RFC 9110 §5.5)";
                return fields;
            }
            if (HttpTokens.IsHopByHop(Encoding.Latin1.GetBytes(name)))
            {
                error = $"hop-by-hop field '{name}' is the server's to send (RFC 9110 §7.6.1)";
                return fields;
            }
            fields.Add(new(name, value));
        }
        return fields;
    }

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "{Worker}: {Request}: {Reason}; answered 500")]
    private partial void LogFileRefused(string worker, string request, string reason);
}
