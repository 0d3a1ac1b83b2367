using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PyHost.Protocol.ProxyProtocol;

/// <summary>
/// Reads the PROXY protocol header that a proxy (HAProxy send-proxy / send-proxy-v2, AWS NLB, nginx
/// proxy_protocol) puts before a connection's first byte, version 1 (text) or 2 (binary), as HAProxy's
/// proxy-protocol.txt specifies them. Pure: no socket; Kestrel's IHttpParser shape.
/// </summary>
public static class ProxyHeaderReader
{
    /// <summary>§2.1: the longest v1 line, CRLF included.</summary>
    public const int MaxV1Length = 107;

    /// <summary>§2.2: the fixed part of a v2 header.</summary>
    public const int V2FixedLength = 16;

    private const int V2InetLength = 12;
    private const int V2Inet6Length = 36;
    private const int V2UnixLength = 216;
    private const int UnixPathLength = 108;

    /// <summary>§2.2: the 12 bytes that start every v2 header.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>
    /// Reads one header when the reader holds all of it, and advances past it (TLVs included). Returns false,
    /// consuming nothing, when more bytes are needed. Throws <see cref="ProtocolException"/> when the bytes are not
    /// a PROXY header or break its rules: §2.1 asks the receiver to drop such a connection at once.
    /// </summary>
    public static bool TryRead(ref SequenceReader<byte> reader, [NotNullWhen(true)] out ProxyHeader? header)
    {
        header = null;
        if (reader.Remaining == 0)
        {
            return false;
        }
        Span<byte> start = stackalloc byte[V2FixedLength];
        int peeked = (int)Math.Min(start.Length, reader.Remaining);
        reader.TryCopyTo(start[..peeked]);
        start = start[..peeked];
        if (start[0] == V2Signature[0])
        {
            int compared = Math.Min(peeked, V2Signature.Length);
            if (!start[..compared].SequenceEqual(V2Signature[..compared]))
            {
                throw new ProtocolException("not a PROXY protocol header: the v2 signature does not match");
            }
            return peeked == V2FixedLength && TryReadV2(ref reader, start, out header);
        }
        int prefix = Math.Min(peeked, V1Prefix.Length);
        if (!start[..prefix].SequenceEqual(V1Prefix[..prefix]))
        {
            throw new ProtocolException("not a PROXY protocol header: it starts with neither \"PROXY \" nor the v2 signature");
        }
        return TryReadV1(ref reader, out header);
    }

    private static bool TryReadV1(ref SequenceReader<byte> reader, out ProxyHeader? header)
    {
        header = null;
        ReadOnlySequence<byte> window = reader.UnreadSequence.Slice(0, Math.Min(reader.Remaining, MaxV1Length));
        SequencePosition? newline = window.PositionOf((byte)'\n');
        if (newline is null)
        {
            if (window.Length == MaxV1Length)
            {
                throw new ProtocolException($"the PROXY v1 line has no CRLF within {MaxV1Length} bytes");
            }
            return false;
        }
        int length = (int)window.Slice(0, newline.Value).Length + 1;
        Span<byte> line = stackalloc byte[MaxV1Length];
        window.Slice(0, length).CopyTo(line);
        line = line[..length];
        if (length < 2 || line[^2] != '\r' || line[..^2].IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new ProtocolException("the PROXY v1 line must end with CRLF, and hold no other CR or LF");
        }
        header = ParseV1(Encoding.ASCII.GetString(line[..^2]), length);
        reader.Advance(length);
        return true;
    }

    private static ProxyHeader ParseV1(string line, int length)
    {
        // "PROXY" SP family SP source SP destination SP source-port SP destination-port, exactly one space each.
        string[] parts = line.Split(' ');
        if (parts.Length >= 2 && parts[1] == "UNKNOWN")
        {
            // §2.1: "the receiver must ignore anything presented before the CRLF".
            return new ProxyHeader { Version = 1, Family = ProxyAddressFamily.Unspecified, Length = length };
        }
        if (parts.Length != 6 || parts[1] is not ("TCP4" or "TCP6"))
        {
            throw new ProtocolException($"the PROXY v1 line is not 'PROXY TCP4|TCP6 SOURCE DESTINATION SPORT DPORT' or 'PROXY UNKNOWN': {Printable(line)}");
        }
        bool v4 = parts[1] == "TCP4";
        IPAddress source = ParseV1Address(parts[2], v4);
        IPAddress destination = ParseV1Address(parts[3], v4);
        return new ProxyHeader
        {
            Version = 1,
            Family = v4 ? ProxyAddressFamily.Inet : ProxyAddressFamily.Inet6,
            SourceAddress = source,
            DestinationAddress = destination,
            SourcePort = ParseV1Port(parts[4]),
            DestinationPort = ParseV1Port(parts[5]),
            Length = length,
        };
    }

    /// <summary>§2.1: IPv4 as four decimal numbers 0-255 without leading zeros; IPv6 in its text form.</summary>
    private static IPAddress ParseV1Address(string text, bool v4)
    {
        if (v4)
        {
            string[] octets = text.Split('.');
            if (octets.Length == 4 && octets.All(IsCanonicalByte))
            {
                return IPAddress.Parse(text);
            }
            throw new ProtocolException($"'{Printable(text)}' is not an IPv4 address in canonical form (PROXY v1 TCP4)");
        }
        if (text.Length > 0 && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
            && IPAddress.TryParse(text, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address;
        }
        throw new ProtocolException($"'{Printable(text)}' is not an IPv6 address (PROXY v1 TCP6)");
    }

    private static bool IsCanonicalByte(string text) =>
        text.Length is >= 1 and <= 3 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0') && int.Parse(text) <= 255;

    private static int ParseV1Port(string text)
    {
        if (text.Length is >= 1 and <= 5 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0') && int.Parse(text) is var port && port <= 65535)
        {
            return port;
        }
        throw new ProtocolException($"'{Printable(text)}' is not a port number 0-65535 without leading zeros (PROXY v1)");
    }

    private static bool TryReadV2(ref SequenceReader<byte> reader, scoped ReadOnlySpan<byte> fixedPart, out ProxyHeader? header)
    {
        header = null;
        byte versionAndCommand = fixedPart[12];
        if (versionAndCommand >> 4 != 2)
        {
            throw new ProtocolException($"PROXY v2 header with version {versionAndCommand >> 4}; only 2 is defined");
        }
        int command = versionAndCommand & 0x0F;
        if (command > 1)
        {
            throw new ProtocolException($"PROXY v2 header with command {command}; only LOCAL (0) and PROXY (1) are defined");
        }
        int family = fixedPart[13] >> 4;
        int transport = fixedPart[13] & 0x0F;
        if (family > 3 || transport > 2)
        {
            throw new ProtocolException($"PROXY v2 header with address family {family} and transport {transport}; families 0-3 and transports 0-2 are defined");
        }
        int addressLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
        int length = V2FixedLength + addressLength;
        if (reader.Remaining < length)
        {
            return false;
        }
        ReadOnlySequence<byte> addresses = reader.UnreadSequence.Slice(V2FixedLength, addressLength);
        header = command == 0
            // §2.2: LOCAL is the proxy's own connection (a health check): its addresses are ignored, whatever they are.
            ? new ProxyHeader { Version = 2, IsLocal = true, Family = ProxyAddressFamily.Unspecified, Length = length }
            : ParseV2Addresses(family, transport, addresses, length);
        reader.Advance(length);
        return true;
    }

    private static ProxyHeader ParseV2Addresses(int family, int transport, ReadOnlySequence<byte> addresses, int length)
    {
        // §2.2: only STREAM is a connection like this one; UNSPEC and DGRAM fall back to the real endpoints.
        if (family == 0 || transport != 1)
        {
            return new ProxyHeader { Version = 2, Family = ProxyAddressFamily.Unspecified, Length = length };
        }
        int needed = family switch { 1 => V2InetLength, 2 => V2Inet6Length, _ => V2UnixLength };
        if (addresses.Length < needed)
        {
            throw new ProtocolException($"PROXY v2 address block of {addresses.Length} bytes; family {family} needs {needed}");
        }
        Span<byte> block = stackalloc byte[V2UnixLength];
        block = block[..needed];
        addresses.Slice(0, needed).CopyTo(block);   // the rest is TLVs (§2.2.1), skipped
        if (family == 3)
        {
            return new ProxyHeader
            {
                Version = 2,
                Family = ProxyAddressFamily.Unix,
                SourcePath = UnixPath(block[..UnixPathLength]),
                DestinationPath = UnixPath(block[UnixPathLength..]),
                Length = length,
            };
        }
        int size = family == 1 ? 4 : 16;
        return new ProxyHeader
        {
            Version = 2,
            Family = family == 1 ? ProxyAddressFamily.Inet : ProxyAddressFamily.Inet6,
            SourceAddress = new IPAddress(block[..size]),
            DestinationAddress = new IPAddress(block[size..(2 * size)]),
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(block[(2 * size)..]),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(block[(2 * size + 2)..]),
            Length = length,
        };
    }

    private static string UnixPath(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static string Printable(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\x{(int)c:X2}"));
}
