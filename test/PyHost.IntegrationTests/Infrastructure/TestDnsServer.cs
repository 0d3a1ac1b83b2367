using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// A DNS server for pebble's validation lookups (pebble -dnsserver): A records for the names a test sets, an empty
/// answer for other types (pebble asks AAAA first and takes the first address), NXDOMAIN for unknown names. UDP on a
/// free loopback port; RFC 1035 §4.1 messages, one question each.
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly ConcurrentDictionary<string, IPAddress> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TestDnsServer()
    {
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.Client.LocalEndPoint!;

    public void Set(string name, IPAddress address) => _records[name.TrimEnd('.')] = address;

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Answer(received.Buffer) is { } reply)
            {
                await _socket.SendAsync(reply, received.RemoteEndPoint, _stop.Token);
            }
        }
    }

    private byte[]? Answer(byte[] query)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1)
        {
            return null;
        }
        // The question: labels up to a zero byte, then QTYPE and QCLASS.
        int at = 12;
        var name = new StringBuilder();
        while (at < query.Length && query[at] != 0)
        {
            int length = query[at];
            name.Append(name.Length > 0 ? "." : "").Append(Encoding.ASCII.GetString(query, at + 1, length));
            at += length + 1;
        }
        int questionEnd = at + 5;
        if (questionEnd > query.Length)
        {
            return null;
        }
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(at + 1));
        bool known = _records.TryGetValue(name.ToString(), out IPAddress? address);
        bool answer = known && type == 1;
        var reply = new List<byte>();
        reply.AddRange(query.AsSpan(0, 2).ToArray());                       // ID
        reply.AddRange([0x81, (byte)(known ? 0x80 : 0x83)]);                 // response, RD, RA; NOERROR or NXDOMAIN
        reply.AddRange([0, 1, 0, (byte)(answer ? 1 : 0), 0, 0, 0, 0]);       // one question, 0 or 1 answer
        reply.AddRange(query.AsSpan(12, questionEnd - 12).ToArray());
        if (answer)
        {
            reply.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4]);     // name pointer, A, IN, TTL 5, 4 bytes
            reply.AddRange(address!.GetAddressBytes());
        }
        return [.. reply];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
