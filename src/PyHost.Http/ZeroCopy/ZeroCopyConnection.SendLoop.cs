using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using PyHost.Http.Listening;

namespace PyHost.Http.ZeroCopy;

/// <summary>The send loop: bytes up to the next file, the file, and on.</summary>
internal sealed partial class ZeroCopyConnection
{
    // A file that cannot be spliced (a file system without splice support) is copied in pieces of this size.
    private const int CopyChunkBytes = 64 * 1024;

    // TCP_NOTSENT_LOWAT (tcp(7)): the socket takes more of the file only once less than this is waiting unsent, so a
    // file goes out in pieces the sending thread pushes itself (the window permitting) instead of megabytes queued behind
    // the window, which the receiver's acknowledgements then transmit from its own CPU (on the loopback: the client's).
    // 10 MiB files to 64 loopback clients (wrk): 1.2-1.4x the files per second and 16-30 % less CPU per file, server and
    // client together (the server's own share doubles: the transmitting is now its work). 64 KiB: what Kestrel lets a
    // writer buffer; 32 KiB was faster still on the loopback, but leaves the loop only 26 us to refill at 10 Gbit/s.
    private const int NotSentLowWaterBytes = 64 * 1024;
    private const int TcpNotSentLowWater = 25;

    private long _bytesSent;   // of the pipe's bytes (files not counted)
    private byte[]? _chunk;
    private GatheredSend? _send;

    private SocketWritableWait? _writable;
    private bool _lowWaterSet;

    /// <summary>How many bytes of files went out by sendfile(2), and how many had to be copied (no splice support).</summary>
    public long SentByZeroCopy { get; private set; }

    public long SentByCopy { get; private set; }

    /// <summary>How many times sendfile(2) found the socket's buffer full and the loop waited for room.</summary>
    public long WaitsForRoom { get; private set; }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _pipe.Reader;
        Exception? failure = null;
        try
        {
            while (true)
            {
                await SendDueFilesAsync();
                ReadResult result = await reader.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                FileSegment? next = _output.NextSegment();
                long sendable = next is null ? buffer.Length : Math.Min(buffer.Length, next.At - _bytesSent);
                if (sendable > 0)
                {
                    ReadOnlySequence<byte> bytes = buffer.Slice(0, sendable);
                    await SendAsync(bytes);
                    _bytesSent += sendable;
                    reader.AdvanceTo(bytes.End);
                }
                else if (next is not null && next.At == _bytesSent)
                {
                    reader.AdvanceTo(buffer.Start);   // the file comes before these bytes; they stay unexamined
                }
                else
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception error)
        {
            // The client went away or the socket was closed under us (Kestrel's abort): the connection is over.
            failure = error;
        }
        finally
        {
            reader.Complete(failure);
            _output.AbandonQueued();
            _writable?.Dispose();
            if (_chunk is not null)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
            }
        }
        if (failure is not null)
        {
            _abort(failure);
        }
    }

    /// <summary>Sends the files whose place has come: all the bytes before them are on the wire.</summary>
    private async ValueTask SendDueFilesAsync()
    {
        while (_output.NextSegment() is { } next && next.At == _bytesSent)
        {
            await SendFileAsync(next);
            _output.RemoveSent(next);
        }
    }

    private ValueTask SendAsync(ReadOnlySequence<byte> bytes) => (_send ??= new GatheredSend(_socket)).SendAsync(bytes);

    private async ValueTask SendFileAsync(FileSegment segment)
    {
        long offset = segment.Offset + segment.Sent;
        long left = segment.Length - segment.Sent;
        bool zeroCopy = true;
        SetNotSentLowWater();
        while (left > 0)
        {
            long sent = zeroCopy ? SendFileSyscall.Send(_socket.SafeHandle, segment.File, offset, left) : SendFileSyscall.NotSupported;
            if (sent > 0)
            {
                SentByZeroCopy += sent;
                ZeroCopyTelemetry.RecordSent(segment.Source, sent);
            }
            else if (sent == 0)
            {
                throw new IOException("The file became shorter while it was being sent.");
            }
            else if (sent == SendFileSyscall.WouldBlock)
            {
                // The socket's buffer is full: wait for room, and sendfile(2) goes on from where it stopped.
                WaitsForRoom++;
                await (_writable ??= new SocketWritableWait(_socket)).WaitAsync(_connectionClosed);
                continue;
            }
            else
            {
                zeroCopy = false;
                int chunk = (int)Math.Min(CopyChunkBytes, left);
                _chunk ??= ArrayPool<byte>.Shared.Rent(CopyChunkBytes);
                int read = RandomAccess.Read(segment.File, _chunk.AsSpan(0, chunk), offset);
                if (read == 0)
                {
                    throw new IOException("The file became shorter while it was being sent.");
                }
                sent = await _socket.SendAsync(_chunk.AsMemory(0, read), SocketFlags.None);
                SentByCopy += sent;
            }
            offset += sent;
            left -= sent;
            segment.Sent += sent;
        }
    }

    private void SetNotSentLowWater()
    {
        if (_lowWaterSet)
        {
            return;
        }
        _lowWaterSet = true;
        if (_socket.ProtocolType == ProtocolType.Tcp)
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            BinaryPrimitives.WriteInt32LittleEndian(value, NotSentLowWaterBytes);
            _socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpNotSentLowWater, value);
        }
    }
}
