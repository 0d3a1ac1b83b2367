namespace PyHost.Tls.Certificates;

/// <summary>
/// Chooses a listener's certificate from the name the client asked for in SNI (RFC 6066 §3): a site's certificate
/// for that exact name, then a wildcard site's, then the listener's default (its own certificate, else the default
/// site's). Null when none fits: the handshake is refused rather than answered with a certificate for another name.
/// </summary>
public sealed class CertificateSelector(HostTable<CertificateSlot> sites, CertificateSlot? listenerDefault)
{
    public ServerCertificate? Select(string? serverName) =>
        sites.Find(serverName)?.Current ?? listenerDefault?.Current;
}
