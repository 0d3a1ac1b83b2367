using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Http.Forwarding;

namespace PyHost.Http.Access;

/// <summary>
/// <c>allow</c> and <c>deny</c> of a site or route, by the client's address after the trusted-proxy rules (the one the
/// app sees as REMOTE_ADDR): an address in <c>deny</c> gets 403; with an <c>allow</c> list, so does every address not
/// in it. nginx's <c>deny 10.0.0.5; allow 10.0.0.0/8; deny all;</c> is <c>deny = ["10.0.0.5"], allow = ["10.0.0.0/8"]</c>.
/// A client whose address is unknown (a unix-socket peer with no proxy header naming one) is in no list.
/// </summary>
public sealed partial class IpAccessRules
{
    private readonly IPNetwork[] _allow;
    private readonly IPNetwork[] _deny;
    private readonly ILogger _logger;
    private readonly ThrottledLog _log = new(TimeSpan.FromSeconds(10));

    public IpAccessRules(IReadOnlyList<string> allow, IReadOnlyList<string> deny, ILogger logger)
    {
        _allow = allow.Select(Parse).ToArray();
        _deny = deny.Select(Parse).ToArray();
        _logger = logger;
    }

    public bool IsActive => _allow.Length > 0 || _deny.Length > 0;

    public bool Admits(string clientAddress)
    {
        if (!IPAddress.TryParse(clientAddress, out IPAddress? address))
        {
            return _allow.Length == 0;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (IPNetwork network in _deny)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }
        if (_allow.Length == 0)
        {
            return true;
        }
        foreach (IPNetwork network in _allow)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when the client may come in; otherwise the 403 is written.</summary>
    public async ValueTask<bool> AdmitAsync(HttpContext context)
    {
        string client = RequestOriginFeature.Get(context).RemoteAddress;
        if (Admits(client))
        {
            return true;
        }
        if (_log.ShouldLog(out int refused))
        {
            LogRefused(refused, client.Length == 0 ? "an unknown address" : client, context.Request.Path.Value ?? "/");
        }
        await ErrorPages.WriteAsync(context, StatusCodes.Status403Forbidden, "Access to this page is not allowed from your address.");
        return false;
    }

    private static IPNetwork Parse(string text) =>
        AddressRules.TryParse(text, out IPNetwork network) ? network : throw new ArgumentException($"'{text}' is not an IP address or CIDR range");

    [LoggerMessage(EventId = 640, Level = LogLevel.Warning, Message = "Refused {Count} request(s) with 403 by allow/deny, the last from {Client} for {Path} (at most one such line every 10 s)")]
    private partial void LogRefused(int count, string client, string path);
}
