using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PyHost.Tls.Handshake;

public enum ClientHelloStatus
{
    /// <summary>The bytes so far are the start of a ClientHello: read more.</summary>
    NeedMore,

    Parsed,

    /// <summary>Not a TLS ClientHello (or one too large or malformed to read): leave it to the TLS layer to refuse.</summary>
    NotClientHello,
}

/// <summary>
/// What PyHost needs from a TLS ClientHello before the handshake: the server name (SNI, RFC 6066 §3) and the ALPN
/// protocols offered (RFC 7301 §3.1). SslStream does not show the offered ALPN list to a certificate selector, and
/// TLS-ALPN-01 (RFC 8737 §3) needs it: a validation connection offers only "acme-tls/1" and must get the challenge
/// certificate. Pure: it reads bytes, consumes nothing.
/// </summary>
public sealed record ClientHello(string? ServerName, IReadOnlyList<string> Protocols)
{
    /// <summary>A ClientHello larger than this is not read (TLS allows 2^24; real ones are under 2 KiB, 8 KiB with PQ key shares).</summary>
    public const int MaxLength = 64 * 1024;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    public bool Offers(string protocol) => Protocols.Contains(protocol, StringComparer.Ordinal);

    /// <summary>
    /// Reads the ClientHello from the start of a connection: TLS records (RFC 8446 §5.1) of type handshake, whose
    /// fragments together hold the ClientHello message (§4.1.2), which may span records.
    /// </summary>
    public static ClientHelloStatus TryRead(ReadOnlySequence<byte> input, out ClientHello? hello)
    {
        hello = null;
        var reader = new SequenceReader<byte>(input);
        byte[]? message = null;
        int messageLength = -1;
        int have = 0;
        try
        {
            while (true)
            {
                if (reader.Remaining < 5)
                {
                    return ClientHelloStatus.NeedMore;
                }
                reader.TryRead(out byte type);
                reader.TryReadBigEndian(out short _);   // legacy_record_version
                reader.TryReadBigEndian(out short length);
                if (type != HandshakeRecord || length <= 0 || length > 16384 + 2048)
                {
                    return ClientHelloStatus.NotClientHello;
                }
                if (reader.Remaining < length)
                {
                    return ClientHelloStatus.NeedMore;
                }
                message ??= ArrayPool<byte>.Shared.Rent(MaxLength + 4);
                int take = Math.Min(length, message.Length - have);
                reader.Sequence.Slice(reader.Position, take).CopyTo(message.AsSpan(have));
                reader.Advance(length);
                have += take;
                if (messageLength < 0 && have >= 4)
                {
                    if (message[0] != ClientHelloType)
                    {
                        return ClientHelloStatus.NotClientHello;
                    }
                    messageLength = (message[1] << 16) | (message[2] << 8) | message[3];
                    if (messageLength > MaxLength)
                    {
                        return ClientHelloStatus.NotClientHello;
                    }
                }
                if (messageLength >= 0 && have >= 4 + messageLength)
                {
                    hello = ParseBody(message.AsSpan(4, messageLength));
                    return hello is null ? ClientHelloStatus.NotClientHello : ClientHelloStatus.Parsed;
                }
            }
        }
        finally
        {
            if (message is not null)
            {
                ArrayPool<byte>.Shared.Return(message);
            }
        }
    }

    /// <summary>The ClientHello body (RFC 8446 §4.1.2): version, random, session id, suites, compression, extensions.</summary>
    private static ClientHello? ParseBody(ReadOnlySpan<byte> body)
    {
        int at = 2 + 32;   // legacy_version, random
        if (!Skip(body, ref at, 1) || !Skip(body, ref at, 2) || !Skip(body, ref at, 1))
        {
            return null;
        }
        if (at == body.Length)
        {
            return new ClientHello(null, []);   // no extensions at all (TLS 1.2 allows it)
        }
        if (!TrySlice(body, ref at, 2, out ReadOnlySpan<byte> extensions))
        {
            return null;
        }
        string? serverName = null;
        var protocols = new List<string>();
        int position = 0;
        while (position < extensions.Length)
        {
            if (extensions.Length - position < 4)
            {
                return null;
            }
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(extensions[position..]);
            position += 2;
            if (!TrySlice(extensions, ref position, 2, out ReadOnlySpan<byte> data))
            {
                return null;
            }
            if (type == ServerNameExtension && !TryReadServerName(data, out serverName))
            {
                return null;
            }
            if (type == AlpnExtension && !TryReadProtocols(data, protocols))
            {
                return null;
            }
        }
        return new ClientHello(serverName, protocols);
    }

    /// <summary>RFC 6066 §3: a list of (name_type, name); host_name (0) is the only type defined.</summary>
    private static bool TryReadServerName(ReadOnlySpan<byte> data, out string? serverName)
    {
        serverName = null;
        int at = 0;
        if (!TrySlice(data, ref at, 2, out ReadOnlySpan<byte> list))
        {
            return false;
        }
        int position = 0;
        while (position < list.Length)
        {
            byte nameType = list[position++];
            if (!TrySlice(list, ref position, 2, out ReadOnlySpan<byte> name))
            {
                return false;
            }
            if (nameType == 0 && serverName is null)
            {
                serverName = Encoding.ASCII.GetString(name);
            }
        }
        return true;
    }

    /// <summary>RFC 7301 §3.1: ProtocolNameList, each a length byte and the name.</summary>
    private static bool TryReadProtocols(ReadOnlySpan<byte> data, List<string> protocols)
    {
        int at = 0;
        if (!TrySlice(data, ref at, 2, out ReadOnlySpan<byte> list))
        {
            return false;
        }
        int position = 0;
        while (position < list.Length)
        {
            if (!TrySlice(list, ref position, 1, out ReadOnlySpan<byte> name) || name.Length == 0)
            {
                return false;
            }
            protocols.Add(Encoding.ASCII.GetString(name));
        }
        return true;
    }

    /// <summary>Skips a vector whose length takes <paramref name="lengthBytes"/> bytes.</summary>
    private static bool Skip(ReadOnlySpan<byte> data, ref int at, int lengthBytes) => TrySlice(data, ref at, lengthBytes, out _);

    private static bool TrySlice(ReadOnlySpan<byte> data, ref int at, int lengthBytes, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        if (data.Length - at < lengthBytes)
        {
            return false;
        }
        int length = lengthBytes == 1 ? data[at] : BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
        at += lengthBytes;
        if (data.Length - at < length)
        {
            return false;
        }
        vector = data.Slice(at, length);
        at += length;
        return true;
    }
}
