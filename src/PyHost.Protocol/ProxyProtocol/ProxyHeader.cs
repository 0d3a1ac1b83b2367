using System.Net;

namespace PyHost.Protocol.ProxyProtocol;

/// <summary>The address family a PROXY header names (proxy-protocol.txt §2.1 and §2.2).</summary>
public enum ProxyAddressFamily
{
    /// <summary>v1 UNKNOWN, v2 AF_UNSPEC or an unsupported transport: the header names no usable address.</summary>
    Unspecified,
    Inet,
    Inet6,
    Unix,
}

/// <summary>
/// What a PROXY protocol header says about the connection it starts. <see cref="IsLocal"/> (v2 LOCAL: the proxy's own
/// health check) and <see cref="ProxyAddressFamily.Unspecified"/> mean: use the real connection's endpoints.
/// </summary>
public sealed record ProxyHeader
{
    /// <summary>1 (text) or 2 (binary).</summary>
    public required int Version { get; init; }

    public bool IsLocal { get; init; }

    public ProxyAddressFamily Family { get; init; }

    public IPAddress? SourceAddress { get; init; }

    public IPAddress? DestinationAddress { get; init; }

    public int SourcePort { get; init; }

    public int DestinationPort { get; init; }

    /// <summary>For <see cref="ProxyAddressFamily.Unix"/>: the socket paths, as the proxy saw them.</summary>
    public string? SourcePath { get; init; }

    public string? DestinationPath { get; init; }

    /// <summary>The whole header's length in bytes, TLVs included.</summary>
    public int Length { get; init; }

    /// <summary>Whether the header names the client's IP endpoint: a PROXY command for TCP over IPv4 or IPv6.</summary>
    public bool HasClientAddress => !IsLocal && Family is ProxyAddressFamily.Inet or ProxyAddressFamily.Inet6;
}
