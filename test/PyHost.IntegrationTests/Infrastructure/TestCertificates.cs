using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>How a test writes a private key to disk: the PEM forms nginx, certbot and openssl produce.</summary>
public enum KeyFormat
{
    EcSec1,        // "EC PRIVATE KEY" (openssl ecparam -genkey)
    EcPkcs8,       // "PRIVATE KEY" (certbot's ECDSA keys, openssl genpkey)
    RsaPkcs1,      // "RSA PRIVATE KEY" (openssl genrsa with OpenSSL 1.x)
    RsaPkcs8,      // "PRIVATE KEY" (certbot's RSA keys)
}

/// <summary>A certificate authority made by a test, and what it signs, written as PEM files for the server and clients.</summary>
public sealed class TestCa
{
    private TestCa(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA with its key.</summary>
    public X509Certificate2 Certificate { get; }

    public string Pem => Certificate.ExportCertificatePem() + "\n";

    public static TestCa Create(string name, TestCa? parent = null)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=PyHost tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        if (parent is null)
        {
            return new TestCa(request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30)));
        }
        using X509Certificate2 signed = request.Create(parent.Certificate, now.AddDays(-1), now.AddDays(20), RandomNumberGenerator.GetBytes(12));
        return new TestCa(signed.CopyWithPrivateKey(key));
    }

    /// <summary>A server certificate for names (DNS or IP), its PEM and its key PEM in the format asked for.</summary>
    public (X509Certificate2 Certificate, string CertificatePem, string KeyPem) IssueServer(string[] names, KeyFormat format = KeyFormat.EcPkcs8, string? commonName = null) =>
        Issue(commonName ?? names[0], names, format, "1.3.6.1.5.5.7.3.1");

    public (X509Certificate2 Certificate, string CertificatePem, string KeyPem) IssueClient(string subject, KeyFormat format = KeyFormat.EcPkcs8) =>
        Issue(subject, [], format, "1.3.6.1.5.5.7.3.2", subjectIsFull: true);

    private (X509Certificate2, string, string) Issue(string subject, string[] names, KeyFormat format, string purpose, bool subjectIsFull = false)
    {
        using AsymmetricAlgorithm key = format is KeyFormat.RsaPkcs1 or KeyFormat.RsaPkcs8 ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = key is RSA rsa
            ? new CertificateRequest(subjectIsFull ? subject : $"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subjectIsFull ? subject : $"CN={subject}", (ECDsa)key, HashAlgorithmName.SHA256);
        if (names.Length > 0)
        {
            var alternativeNames = new SubjectAlternativeNameBuilder();
            foreach (string name in names)
            {
                if (IPAddress.TryParse(name, out IPAddress? address))
                {
                    alternativeNames.AddIpAddress(address);
                }
                else
                {
                    alternativeNames.AddDnsName(name);
                }
            }
            request.CertificateExtensions.Add(alternativeNames.Build());
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(purpose)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        // The CA is ECDSA; an RSA leaf needs the CA's signature generator rather than the issuer overload.
        using ECDsa caKey = Certificate.GetECDsaPrivateKey()!;
        using X509Certificate2 signed = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddHours(-1), now.AddDays(10), RandomNumberGenerator.GetBytes(12));
        X509Certificate2 withKey = key is RSA r ? signed.CopyWithPrivateKey(r) : signed.CopyWithPrivateKey((ECDsa)key);
        string keyPem = format switch
        {
            KeyFormat.EcSec1 => ((ECDsa)key).ExportECPrivateKeyPem(),
            KeyFormat.RsaPkcs1 => ((RSA)key).ExportRSAPrivateKeyPem(),
            _ => key.ExportPkcs8PrivateKeyPem(),
        };
        return (withKey, withKey.ExportCertificatePem() + "\n", keyPem + "\n");
    }
}

/// <summary>A directory under the test's temporary files, deleted when the test ends.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = Directory.CreateTempSubdirectory("pyhost-tls-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
