using System.Diagnostics.CodeAnalysis;
using System.Net;
using PyHost.Configuration.Model;

namespace PyHost.Http.Forwarding;

/// <summary>
/// The peers whose word about the client is believed: <c>--forwarded-allow-ips</c>, as gunicorn and uvicorn take it
/// (comma-separated addresses and CIDR ranges; <c>*</c> trusts every peer). A Unix-socket peer has no address and is
/// trusted only when the list names <c>unix</c> (gunicorn trusts it always).
/// </summary>
public sealed class TrustedProxies
{
    public const string DefaultList = "127.0.0.1,::1";

    private readonly IPNetwork[] _networks;

    private TrustedProxies(string text, IPNetwork[] networks, bool all, bool unix)
    {
        Text = text;
        _networks = networks;
        TrustsEveryPeer = all;
        TrustsUnixPeers = unix || all;
    }

    /// <summary>Loopback only, gunicorn's and uvicorn's default.</summary>
    public static TrustedProxies Loopback { get; } = Parse(DefaultList);

    /// <summary>Nobody: forwarding headers are never believed.</summary>
    public static TrustedProxies None { get; } = Parse("");

    /// <summary>The list as given, for log lines.</summary>
    public string Text { get; }

    public bool TrustsEveryPeer { get; }

    public bool TrustsUnixPeers { get; }

    public static TrustedProxies Parse(string text) =>
        TryParse(text, out TrustedProxies? trusted, out string? error) ? trusted : throw new FormatException(error);

    public static bool TryParse(string text, [NotNullWhen(true)] out TrustedProxies? trusted, [NotNullWhen(false)] out string? error)
    {
        trusted = null;
        error = null;
        var networks = new List<IPNetwork>();
        bool all = false;
        bool unix = false;
        foreach (string entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry == "*")
            {
                all = true;
            }
            else if (entry.Equals("unix", StringComparison.OrdinalIgnoreCase))
            {
                unix = true;
            }
            else if (AddressRules.TryParseBracketed(entry, out IPNetwork network))
            {
                networks.Add(network);
            }
            else
            {
                error = $"'{entry}' is not an IP address, a CIDR range (10.0.0.0/8, fd00::/8), 'unix' or '*'";
                return false;
            }
        }
        trusted = new TrustedProxies(text, [.. networks], all, unix);
        return true;
    }

    /// <summary>Whether <paramref name="address"/> is a trusted proxy; an IPv4-mapped IPv6 address counts as its IPv4.</summary>
    public bool Contains(IPAddress address)
    {
        if (TrustsEveryPeer)
        {
            return true;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (IPNetwork network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether the transport peer is trusted: an address in the list, or a Unix-socket peer (null) with 'unix'.</summary>
    public bool TrustsPeer(IPAddress? peer) => peer is null ? TrustsUnixPeers : Contains(peer);
}
