using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PyHost.Tls.State;

namespace PyHost.Tls.LocalCa;

/// <summary>
/// A certificate authority of this machine's own, for names no public CA will certify (localhost, *.localhost, IP
/// addresses, .local/.internal names), as Caddy's internal issuer and mkcert do. Its root lives in the state
/// directory (<c>local-ca/root.pem</c>, key 0600); trusting that one file makes every such site trusted
/// (<c>pyhost trust</c> says how). ECDSA P-256 throughout.
/// </summary>
public sealed class LocalCertificateAuthority
{
    public static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);

    /// <summary>Leaves are short-lived and renewed at two thirds like the others, so a leaked key does not last.</summary>
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(30);

    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private LocalCertificateAuthority(X509Certificate2 root, string rootPath)
    {
        Root = root;
        RootPath = rootPath;
    }

    /// <summary>The root with its private key.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The root certificate's file, to copy into trust stores.</summary>
    public string RootPath { get; }

    public static string RootPathIn(StateDirectory state) => Path.Combine(state.Path, "local-ca", "root.pem");

    /// <summary>The CA of this state directory, made on first use.</summary>
    public static LocalCertificateAuthority OpenOrCreate(StateDirectory state, out bool created)
    {
        string directory = state.Directory("local-ca");
        string rootPath = Path.Combine(directory, "root.pem");
        string keyPath = Path.Combine(directory, "root.key");
        created = false;
        if (File.Exists(rootPath) && File.Exists(keyPath))
        {
            X509Certificate2 stored = X509Certificate2.CreateFromPemFile(rootPath, keyPath);
            if (stored.NotAfter.ToUniversalTime() > DateTime.UtcNow.AddDays(60))
            {
                return new LocalCertificateAuthority(stored, rootPath);
            }
        }
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(
            $"CN=PyHost Local CA {Environment.MachineName} {DateTime.UtcNow:yyyy-MM-dd}, O=PyHost local CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 root = request.CreateSelfSigned(now.AddDays(-1), now + RootLifetime);
        StateDirectory.WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        StateDirectory.WritePublic(rootPath, root.ExportCertificatePem());
        created = true;
        return new LocalCertificateAuthority(root, rootPath);
    }

    /// <summary>A leaf for one name (a DNS name, a wildcard, or an IP address): the chain PEM (leaf, root) and its key PEM.</summary>
    public (string ChainPem, string KeyPem) Issue(string name, DateTimeOffset now, TimeSpan lifetime)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string bare = name.Trim('[', ']');
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(bare, out IPAddress? address))
        {
            alternativeNames.AddIpAddress(address);
        }
        else
        {
            alternativeNames.AddDnsName(name);
        }
        request.CertificateExtensions.Add(alternativeNames.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        DateTimeOffset notAfter = now + lifetime;
        if (notAfter > Root.NotAfter)
        {
            notAfter = Root.NotAfter;
        }
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;   // a positive INTEGER (RFC 5280 §4.1.2.2)
        using X509Certificate2 leaf = request.Create(Root, now.AddMinutes(-5), notAfter, serial);
        return (leaf.ExportCertificatePem() + "\n" + Root.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// Whether a public CA could certify a name: not localhost, not an IP address, not a single label, not a name
    /// under a suffix reserved for private use (RFC 6761 .localhost, RFC 6762 .local, .internal, RFC 8375 .home.arpa).
    /// </summary>
    public static bool IsLocalName(string name)
    {
        string host = name.TrimEnd('.').ToLowerInvariant();
        if (host.StartsWith("*.", StringComparison.Ordinal))
        {
            host = host[2..];
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out _) || !host.Contains('.'))
        {
            return true;
        }
        return host is "localhost" || new[] { ".localhost", ".local", ".internal", ".home.arpa", ".lan" }
            .Any(suffix => host.EndsWith(suffix, StringComparison.Ordinal));
    }
}
