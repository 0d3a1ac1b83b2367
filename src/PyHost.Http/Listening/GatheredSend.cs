using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PyHost.Http.Listening;

/// <summary>
/// Bytes from a pipe onto a socket: one send(2) for a single block, one sendmsg(2) for several pool blocks, as Kestrel's
/// socket transport does. Shared by the connection's own send loop and the zero-copy one.
/// </summary>
internal sealed class GatheredSend(Socket socket)
{
    private List<ArraySegment<byte>>? _segments;

    public async ValueTask SendAsync(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            await socket.SendAsync(bytes.First, SocketFlags.None);
            return;
        }
        _segments ??= [];
        _segments.Clear();
        foreach (ReadOnlyMemory<byte> memory in bytes)
        {
            if (!MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> array))
            {
                // Not array-backed (a native pool): one send per block.
                _segments.Clear();
                foreach (ReadOnlyMemory<byte> each in bytes)
                {
                    await socket.SendAsync(each, SocketFlags.None);
                }
                return;
            }
            _segments.Add(array);
        }
        await socket.SendAsync(_segments, SocketFlags.None);
        _segments.Clear();
    }
}
