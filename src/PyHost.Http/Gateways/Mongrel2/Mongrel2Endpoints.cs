using System.Diagnostics.CodeAnalysis;

namespace PyHost.Http.Gateways.Mongrel2;

/// <summary>
/// <c>--mongrel2 SEND_SPEC,RECV_SPEC</c>: the two ZeroMQ endpoints of a Mongrel2 handler, named as in Mongrel2's
/// own <c>Handler(send_spec=..., recv_spec=...)</c>. Mongrel2 binds both; the handler connects a PULL socket to
/// send_spec (requests come from there) and a PUB socket to recv_spec (responses go there).
/// </summary>
public sealed record Mongrel2Endpoints(string SendSpec, string RecvSpec)
{
    public static bool TryParse(string text, [NotNullWhen(true)] out Mongrel2Endpoints? endpoints, [NotNullWhen(false)] out string? error)
    {
        endpoints = null;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            error = $"'{text}': expected SEND_SPEC,RECV_SPEC, e.g. tcp://127.0.0.1:9997,tcp://127.0.0.1:9996 (Mongrel2's send_spec and recv_spec)";
            return false;
        }
        foreach (string spec in parts)
        {
            if (!IsEndpoint(spec))
            {
                error = $"'{text}': '{spec}' is not a ZeroMQ endpoint; use tcp://HOST:PORT or ipc://PATH";
                return false;
            }
        }
        endpoints = new Mongrel2Endpoints(parts[0], parts[1]);
        error = null;
        return true;
    }

    private static bool IsEndpoint(string spec)
    {
        if (spec.StartsWith("ipc://", StringComparison.Ordinal))
        {
            return spec.Length > "ipc://".Length;
        }
        if (!spec.StartsWith("tcp://", StringComparison.Ordinal))
        {
            return false;
        }
        string rest = spec["tcp://".Length..];
        int colon = rest.LastIndexOf(':');
        return colon > 0 && int.TryParse(rest[(colon + 1)..], out int port) && port is > 0 and <= 65535;
    }
}
