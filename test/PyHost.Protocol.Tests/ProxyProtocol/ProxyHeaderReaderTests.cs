using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using PyHost.Protocol.ProxyProtocol;
using PyHost.Protocol.Tests.Infrastructure;

namespace PyHost.Protocol.Tests.ProxyProtocol;

public class ProxyHeaderReaderTests
{
    private static readonly byte[] FollowingRequest = "GET / HTTP/1.1\r\n"u8.ToArray();

    public static TheoryData<string, byte[], ProxyHeader> ValidHeaders()
    {
        var data = new TheoryData<string, byte[], ProxyHeader>
        {
            {
                "v1 TCP4", Ascii("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
                new ProxyHeader { Version = 1, Family = ProxyAddressFamily.Inet, SourceAddress = IPAddress.Parse("192.168.0.1"), DestinationAddress = IPAddress.Parse("192.168.0.11"), SourcePort = 56324, DestinationPort = 443, Length = 47 }
            },
            {
                "v1 TCP4 longest", Ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
                new ProxyHeader { Version = 1, Family = ProxyAddressFamily.Inet, SourceAddress = IPAddress.Parse("255.255.255.255"), DestinationAddress = IPAddress.Parse("255.255.255.255"), SourcePort = 65535, DestinationPort = 65535, Length = 56 }
            },
            {
                "v1 TCP4 zeros", Ascii("PROXY TCP4 0.0.0.0 10.0.0.1 0 0\r\n"),
                new ProxyHeader { Version = 1, Family = ProxyAddressFamily.Inet, SourceAddress = IPAddress.Parse("0.0.0.0"), DestinationAddress = IPAddress.Parse("10.0.0.1"), SourcePort = 0, DestinationPort = 0, Length = 33 }
            },
            {
                "v1 TCP6", Ascii("PROXY TCP6 2001:db8::1 ::1 4711 8000\r\n"),
                new ProxyHeader { Version = 1, Family = ProxyAddressFamily.Inet6, SourceAddress = IPAddress.Parse("2001:db8::1"), DestinationAddress = IPAddress.Parse("::1"), SourcePort = 4711, DestinationPort = 8000, Length = 38 }
            },
            { "v1 UNKNOWN short", Ascii("PROXY UNKNOWN\r\n"), new ProxyHeader { Version = 1, Length = 15 } },
            {
                "v1 UNKNOWN longest", Ascii("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
                new ProxyHeader { Version = 1, Length = 107 }
            },
            {
                "v2 PROXY TCP4", V2(0x21, 0x11, [192, 0, 2, 1, 198, 51, 100, 7, 0xDB, 0x04, 0x01, 0xBB]),
                new ProxyHeader { Version = 2, Family = ProxyAddressFamily.Inet, SourceAddress = IPAddress.Parse("192.0.2.1"), DestinationAddress = IPAddress.Parse("198.51.100.7"), SourcePort = 56068, DestinationPort = 443, Length = 28 }
            },
            {
                "v2 PROXY TCP4 with TLVs", V2(0x21, 0x11, [192, 0, 2, 1, 198, 51, 100, 7, 0xDB, 0x04, 0x01, 0xBB, 0x01, 0x00, 0x02, (byte)'h', (byte)'2', 0x04, 0x00, 0x00]),
                new ProxyHeader { Version = 2, Family = ProxyAddressFamily.Inet, SourceAddress = IPAddress.Parse("192.0.2.1"), DestinationAddress = IPAddress.Parse("198.51.100.7"), SourcePort = 56068, DestinationPort = 443, Length = 36 }
            },
            {
                "v2 PROXY TCP6", V2(0x21, 0x21, [.. IPAddress.Parse("2001:db8::17").GetAddressBytes(), .. IPAddress.IPv6Loopback.GetAddressBytes(), 0x12, 0x67, 0x1F, 0x40]),
                new ProxyHeader { Version = 2, Family = ProxyAddressFamily.Inet6, SourceAddress = IPAddress.Parse("2001:db8::17"), DestinationAddress = IPAddress.IPv6Loopback, SourcePort = 4711, DestinationPort = 8000, Length = 52 }
            },
            {
                "v2 PROXY UNIX", V2(0x21, 0x31, [.. UnixPath("/run/haproxy.sock"), .. UnixPath("/run/app.sock")]),
                new ProxyHeader { Version = 2, Family = ProxyAddressFamily.Unix, SourcePath = "/run/haproxy.sock", DestinationPath = "/run/app.sock", Length = 232 }
            },
            { "v2 LOCAL", V2(0x20, 0x00, []), new ProxyHeader { Version = 2, IsLocal = true, Length = 16 } },
            { "v2 LOCAL with an address block", V2(0x20, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2]), new ProxyHeader { Version = 2, IsLocal = true, Length = 28 } },
            { "v2 PROXY UNSPEC", V2(0x21, 0x00, [9, 9, 9]), new ProxyHeader { Version = 2, Length = 19 } },
            { "v2 PROXY UDP4 falls back to UNSPEC", V2(0x21, 0x12, [192, 0, 2, 1, 198, 51, 100, 7, 0, 53, 0, 53]), new ProxyHeader { Version = 2, Length = 28 } },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void AWholeHeaderIsReadAndTheConnectionsBytesAfterItAreLeft(string name, byte[] header, ProxyHeader expected)
    {
        _ = name;
        byte[] stream = [.. header, .. FollowingRequest];
        foreach (ReadOnlySequence<byte> sequence in new[] { new ReadOnlySequence<byte>(stream), Sequences.OneBytePerSegment(stream) })
        {
            var reader = new SequenceReader<byte>(sequence);
            Assert.True(ProxyHeaderReader.TryRead(ref reader, out ProxyHeader? read));
            Assert.Equal(expected, read);
            Assert.Equal(FollowingRequest, reader.UnreadSequence.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void EveryPrefixOfAHeaderAsksForMoreAndConsumesNothing(string name, byte[] header, ProxyHeader expected)
    {
        _ = (name, expected);
        for (int length = 0; length < header.Length; length++)
        {
            var reader = new SequenceReader<byte>(Sequences.Split(header.AsSpan(0, length), length / 2));
            Assert.False(ProxyHeaderReader.TryRead(ref reader, out ProxyHeader? read), $"prefix of {length} bytes");
            Assert.Null(read);
            Assert.Equal(0, reader.Consumed);
        }
    }

    public static TheoryData<string, byte[], string> MalformedHeaders() => new()
    {
        { "plain HTTP", Ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "neither" },
        { "lower-case proxy", Ascii("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "neither" },
        { "no space after PROXY", Ascii("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "neither" },
        { "two spaces", Ascii("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "is not" },
        { "unknown protocol", Ascii("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), "is not" },
        { "missing port", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), "is not" },
        { "extra field", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), "is not" },
        { "trailing space", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), "is not" },
        { "leading zero in an address", Ascii("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"), "canonical" },
        { "octet over 255", Ascii("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), "canonical" },
        { "three octets", Ascii("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), "canonical" },
        { "IPv6 under TCP4", Ascii("PROXY TCP4 ::1 ::1 1 2\r\n"), "canonical" },
        { "IPv4 under TCP6", Ascii("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), "IPv6" },
        { "IPv6 with scope", Ascii("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), "IPv6" },
        { "port over 65535", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), "port" },
        { "port with leading zero", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), "port" },
        { "negative port", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), "port" },
        { "bare LF", Ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "CRLF" },
        { "bare CR inside", Ascii("PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n"), "CRLF" },
        { "no CRLF in 107 bytes", Ascii("PROXY UNKNOWN " + new string('f', 100)), "107" },
        { "v2 signature broken", [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B, 0x21, 0x11, 0, 0], "signature" },
        { "v2 signature cut by other bytes", [0x0D, 0x0A, 0x0D, 0x0A, 0x01], "signature" },
        { "v2 version 1", V2(0x11, 0x11, new byte[12]), "version 1" },
        { "v2 version 3", V2(0x31, 0x11, new byte[12]), "version 3" },
        { "v2 command 2", V2(0x22, 0x11, new byte[12]), "command 2" },
        { "v2 family 4", V2(0x21, 0x41, new byte[12]), "family 4" },
        { "v2 transport 3", V2(0x21, 0x13, new byte[12]), "transport 3" },
        { "v2 INET block too short", V2(0x21, 0x11, new byte[11]), "needs 12" },
        { "v2 INET6 block too short", V2(0x21, 0x21, new byte[12]), "needs 36" },
        { "v2 UNIX block too short", V2(0x21, 0x31, new byte[108]), "needs 216" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void AMalformedHeaderIsAProtocolErrorNamingTheProblem(string name, byte[] bytes, string reason)
    {
        _ = name;
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. bytes, .. FollowingRequest]));
        bool threw = false;
        try
        {
            ProxyHeaderReader.TryRead(ref reader, out _);
        }
        catch (ProtocolException error)
        {
            threw = true;
            Assert.Contains(reason, error.Message);
        }
        Assert.True(threw, "a malformed header must not pass for a valid one or ask for more");
    }

    [Fact]
    public void AV2HeaderMayCarryTheLongestAddressBlockTheLengthAllows()
    {
        byte[] block = new byte[ushort.MaxValue];
        new byte[] { 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2 }.CopyTo(block, 0);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(V2(0x21, 0x11, block)));

        Assert.True(ProxyHeaderReader.TryRead(ref reader, out ProxyHeader? header));
        Assert.Equal(16 + ushort.MaxValue, header.Length);
        Assert.True(reader.End);
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] V2(byte versionAndCommand, byte familyAndTransport, byte[] addresses)
    {
        byte[] length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)addresses.Length);
        return [.. ProxyHeaderReader.V2Signature, versionAndCommand, familyAndTransport, .. length, .. addresses];
    }

    private static byte[] UnixPath(string path)
    {
        byte[] bytes = new byte[108];
        Encoding.UTF8.GetBytes(path).CopyTo(bytes, 0);
        return bytes;
    }
}
