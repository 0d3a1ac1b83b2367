using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using PyHost.Tls.Acme;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Handshake;

/// <summary>
/// One TLS listener's handshake, decided per connection once the ClientHello is in: the certificate by SNI, ALPN
/// (h2 and http/1.1, or acme-tls/1 for a TLS-ALPN-01 validation), TLS 1.2/1.3 with <see cref="TlsDefaults"/>, and the
/// client certificate policy. The options are made once per certificate and reused by every handshake with it.
/// </summary>
public sealed class ListenerHandshake(
    CertificateSelector selector,
    IReadOnlyList<SslApplicationProtocol> protocols,
    ClientCertificatePolicy? clientCertificates,
    ChallengeResponses? challenges)
{
    private readonly ConditionalWeakTable<ServerCertificate, SslServerAuthenticationOptions> _options = new();

    public TlsHandshakeCallbackOptions CallbackOptions => new() { OnConnection = OnConnection };

    public ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
    {
        string? serverName = context.ClientHelloInfo.ServerName;
        // RFC 8737 §3: a validation connection offers acme-tls/1 and gets the challenge certificate for its SNI name.
        if (challenges is not null && context.Connection.Features.Get<ClientHelloFeature>() is { } hello
            && hello.Hello.Offers(TlsDefaults.AcmeTls1.ToString()))
        {
            ServerCertificate challenge = challenges.TlsAlpnCertificate(serverName)
                ?? throw new AuthenticationException($"no TLS-ALPN-01 challenge is pending for '{serverName}'");
            return ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = challenge.Context,
                EnabledSslProtocols = TlsDefaults.Protocols,
                ApplicationProtocols = [TlsDefaults.AcmeTls1],
            });
        }
        ServerCertificate certificate = selector.Select(serverName)
            ?? throw new AuthenticationException($"no certificate for server name '{serverName}'");
        return ValueTask.FromResult(_options.GetValue(certificate, Create));
    }

    private SslServerAuthenticationOptions Create(ServerCertificate certificate)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate.Context,
            EnabledSslProtocols = TlsDefaults.Protocols,
            CipherSuitesPolicy = TlsDefaults.Policy,
            ApplicationProtocols = [.. protocols],
            // RFC 9113 §9.2.1: HTTP/2 forbids renegotiation; nothing here needs it for HTTP/1.1 either.
            AllowRenegotiation = false,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        clientCertificates?.Apply(options);
        return options;
    }
}
