using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace PyHost.Tls.Certificates;

/// <summary>
/// A certificate ready to serve: the leaf with its private key and the chain sent after it, prepared once as an
/// <see cref="SslStreamCertificateContext"/> so a handshake does not build the chain again.
/// </summary>
public sealed class ServerCertificate
{
    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection chain, string source)
    {
        Leaf = leaf;
        Chain = chain;
        Source = source;
        // offline: the chain is what the file (or the CA) gave; never fetch intermediates over the network (AIA).
        Context = SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    /// <summary>The certificates sent after the leaf (intermediates), as given.</summary>
    public X509Certificate2Collection Chain { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Where it came from, for log lines: a file path, "ACME", "local CA".</summary>
    public string Source { get; }

    public DateTimeOffset NotBefore => Leaf.NotBefore.ToUniversalTime();

    public DateTimeOffset NotAfter => Leaf.NotAfter.ToUniversalTime();

    public string Subject => Leaf.Subject;

    /// <summary>The DNS names and IP addresses of the subjectAltName extension.</summary>
    public IReadOnlyList<string> Names => SubjectNames(Leaf);

    public static ServerCertificate Create(X509Certificate2 leafWithKey, X509Certificate2Collection chain, string source)
    {
        if (!leafWithKey.HasPrivateKey)
        {
            throw new ArgumentException("the certificate has no private key", nameof(leafWithKey));
        }
        return new ServerCertificate(leafWithKey, chain, source);
    }

    /// <summary>When it should be renewed: two thirds into its lifetime (as Caddy and certbot's 30-of-90 days).</summary>
    public DateTimeOffset RenewalTime => NotBefore + (NotAfter - NotBefore) * 2 / 3;

    public static IReadOnlyList<string> SubjectNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension alternativeNames)
            {
                names.AddRange(alternativeNames.EnumerateDnsNames());
                names.AddRange(alternativeNames.EnumerateIPAddresses().Select(address => address.ToString()));
            }
        }
        return names;
    }

    public override string ToString() => $"{(Names.Count > 0 ? string.Join(", ", Names) : Subject)} (valid until {NotAfter:yyyy-MM-dd HH:mm:ss}Z, from {Source})";
}
