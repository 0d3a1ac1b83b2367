namespace PyHost.Tls.Requests;

/// <summary>Set on the connections of a listener with <c>https_redirect</c>: every request there is sent to HTTPS.</summary>
public sealed class HttpsRedirectFeature(int? httpsPort)
{
    /// <summary>The port of the HTTPS listener, written into the Location; null for 443, which is left out.</summary>
    public int? HttpsPort { get; } = httpsPort == 443 ? null : httpsPort;
}
