namespace PyHost.Gateways;

/// <summary>
/// Bounds on what a gateway peer may make us hold before a request starts, so a hostile or broken peer cannot make
/// the server allocate without limit. The defaults sit above what nginx, Apache and lighttpd send for a request
/// with Kestrel's own header limits (32 KiB, 100 fields) plus some 25 CGI variables.
/// </summary>
public sealed record GatewayLimits
{
    public static readonly GatewayLimits Default = new();

    /// <summary>The CGI variables of one request, names and values and their framing, in bytes.</summary>
    public int MaxVariablesBytes { get; init; } = 64 * 1024;

    /// <summary>The number of CGI variables in one request.</summary>
    public int MaxVariableCount { get; init; } = 256;
}
