using System.Buffers.Binary;
using System.Net;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>PROXY protocol v2 headers written by hand (HAProxy's proxy-protocol.txt, section 2.2), for tests that send
/// what a balancer would, or what it never would.</summary>
public static class ProxyProtocolHeader
{
    /// <summary>The v2 signature, <paramref name="versionAndCommand"/>, <paramref name="familyAndTransport"/>, the length,
    /// and <paramref name="addresses"/> (with any TLVs) as they are.</summary>
    public static byte[] V2(byte versionAndCommand, byte familyAndTransport, byte[] addresses)
    {
        byte[] length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)addresses.Length);
        return [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, versionAndCommand, familyAndTransport, .. length, .. addresses];
    }

    /// <summary>A v2 PROXY command naming a TCP over IPv4 connection from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public static byte[] V2Tcp4(IPEndPoint source, IPEndPoint destination)
    {
        byte[] ports = new byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(ports, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(ports.AsSpan(2), (ushort)destination.Port);
        return V2(0x21, 0x11, [.. source.Address.GetAddressBytes(), .. destination.Address.GetAddressBytes(), .. ports]);
    }
}
