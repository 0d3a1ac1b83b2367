using System.Net.Security;
using System.Security.Authentication;

namespace PyHost.Tls.Handshake;

/// <summary>
/// The protocol versions and cipher suites every TLS listener offers: TLS 1.2 and 1.3 only, and for TLS 1.2 only
/// forward-secret AEAD suites — Mozilla's "intermediate" configuration without the DHE suites (nginx and Caddy serve
/// the same set). Left alone, Kestrel would take OpenSSL's system default, on Debian 12 "DEFAULT:@SECLEVEL=2", which
/// also offers CBC suites and static-RSA key exchange (AES256-SHA and the like) under TLS 1.2.
/// </summary>
public static class TlsDefaults
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>In order of preference; TLS 1.3 suites first (RFC 8446 §9.1), then TLS 1.2's ECDHE with GCM or ChaCha20.</summary>
    public static readonly IReadOnlyList<TlsCipherSuite> CipherSuites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    public static readonly CipherSuitesPolicy Policy = new(CipherSuites);

    /// <summary>RFC 8737 §6.2: the ALPN protocol of a TLS-ALPN-01 validation connection.</summary>
    public static readonly SslApplicationProtocol AcmeTls1 = new("acme-tls/1");
}
