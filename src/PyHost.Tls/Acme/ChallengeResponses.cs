using System.Collections.Concurrent;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Acme;

/// <summary>
/// The answers to ACME challenges in flight, published while the CA validates and withdrawn after: HTTP-01 key
/// authorizations by token (RFC 8555 §8.3), TLS-ALPN-01 certificates by host name (RFC 8737 §3).
/// </summary>
public sealed class ChallengeResponses
{
    private readonly ConcurrentDictionary<string, string> _httpTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServerCertificate> _alpnCertificates = new(StringComparer.OrdinalIgnoreCase);

    public bool HasHttpTokens => !_httpTokens.IsEmpty;

    public void PublishHttp(string token, string keyAuthorization) => _httpTokens[token] = keyAuthorization;

    public void WithdrawHttp(string token) => _httpTokens.TryRemove(token, out _);

    public bool TryGetHttp(string token, out string? keyAuthorization) => _httpTokens.TryGetValue(token, out keyAuthorization);

    public void PublishTlsAlpn(string hostName, ServerCertificate certificate) => _alpnCertificates[hostName] = certificate;

    public void WithdrawTlsAlpn(string hostName) => _alpnCertificates.TryRemove(hostName, out _);

    public ServerCertificate? TlsAlpnCertificate(string? hostName) =>
        hostName is not null && _alpnCertificates.TryGetValue(hostName.TrimEnd('.'), out ServerCertificate? certificate) ? certificate : null;
}
