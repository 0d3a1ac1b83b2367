using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PyHost.Configuration.Model;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Handshake;

/// <summary>
/// Mutual TLS: a listener asks for a client certificate and accepts only one that chains to its client CA, with the
/// clientAuth purpose. "optional" lets a client without one in (SSL_CLIENT_VERIFY=NONE) but, like Python's
/// CERT_OPTIONAL (gunicorn --cert-reqs 1) and nginx's ssl_verify_client optional, refuses one that does not verify.
/// </summary>
public sealed class ClientCertificatePolicy
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509ChainPolicy _chainPolicy;

    private ClientCertificatePolicy(ClientCertificates mode, X509Certificate2Collection authorities)
    {
        Mode = mode;
        Authorities = authorities;
        _chainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        _chainPolicy.CustomTrustStore.AddRange(authorities);
        _chainPolicy.ApplicationPolicy.Add(ClientAuthentication);
    }

    public ClientCertificates Mode { get; }

    public X509Certificate2Collection Authorities { get; }

    public static ClientCertificatePolicy? Create(ClientCertificates mode, string? caFile)
    {
        if (mode == ClientCertificates.None)
        {
            return null;
        }
        if (caFile is null)
        {
            throw new CertificateLoadException("client certificates need a client CA file (client_ca, gunicorn --ca-certs) to check them against");
        }
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CertificateLoadException($"{caFile}: cannot read the client CA certificates ({ex.Message.TrimEnd('.')})");
        }
        if (authorities.Count == 0)
        {
            throw new CertificateLoadException($"{caFile}: no certificate in it (expected the PEM CA certificates that client certificates are signed by)");
        }
        return new ClientCertificatePolicy(mode, authorities);
    }

    /// <summary>Sets up <paramref name="options"/> to ask for and check a client certificate.</summary>
    public void Apply(SslServerAuthenticationOptions options)
    {
        options.ClientCertificateRequired = true;   // ask; whether one is required is decided below
        options.RemoteCertificateValidationCallback = Validate;
    }

    /// <summary>
    /// SslStream's own verdict is against the system's roots; the client CA is the only root that counts here, so the
    /// chain is built again under this listener's policy, with the intermediates the client sent.
    /// </summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? sent, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return Mode != ClientCertificates.Required;
        }
        using var chain = new X509Chain { ChainPolicy = _chainPolicy.Clone() };
        if (sent is not null)
        {
            foreach (X509ChainElement element in sent.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
