using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PyHost.Tls.Certificates;

/// <summary>A certificate or key file that cannot be served, with a message that names the file and what to do.</summary>
public sealed class CertificateLoadException(string message) : Exception(message);

/// <summary>
/// Reads a certificate chain and its private key from PEM files, as nginx's ssl_certificate/ssl_certificate_key and
/// gunicorn's --certfile/--keyfile take them: the chain leaf first (certbot's fullchain.pem), the key as PKCS#8
/// ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY", RFC 5915), RSA or ECDSA. Without a key
/// file the key is looked for in the certificate file (Python's load_cert_chain does the same).
/// </summary>
public static class PemCertificateLoader
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    public static ServerCertificate Load(string certificatePath, string? keyPath)
    {
        string certificateText = ReadText(certificatePath, "certificate");
        string keyText = keyPath is null ? certificateText : ReadText(keyPath, "key");
        return FromPem(certificateText, keyText, certificatePath, keyPath ?? certificatePath);
    }

    /// <summary>Both files' bytes, to notice a change (a renewal) without parsing.</summary>
    public static byte[] Fingerprint(string certificatePath, string? keyPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(certificatePath));
        if (keyPath is not null)
        {
            hash.AppendData(File.ReadAllBytes(keyPath));
        }
        return hash.GetHashAndReset();
    }

    public static ServerCertificate FromPem(string certificateText, string keyText, string certificateName, string keyName)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(certificateText);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException($"{certificateName}: a CERTIFICATE block does not parse ({ex.Message.TrimEnd('.')})");
        }
        if (certificates.Count == 0)
        {
            throw new CertificateLoadException($"{certificateName}: no certificate in it (expected '-----BEGIN CERTIFICATE-----' blocks, the server's first)");
        }
        X509Certificate2 leaf = certificates[0];
        if (keyText.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal)
            || keyText.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new CertificateLoadException($"{keyName}: the private key is encrypted; PyHost reads unencrypted keys only (decrypt it: openssl pkey -in KEY -out KEY.plain, and keep that file 0600)");
        }

        using AsymmetricAlgorithm key = leaf.PublicKey.Oid.Value switch
        {
            RsaOid => ImportKey(RSA.Create(), keyText, keyName),
            EcOid => ImportKey(ECDsa.Create(), keyText, keyName),
            _ => throw new CertificateLoadException($"{certificateName}: the certificate's key is {leaf.PublicKey.Oid.FriendlyName ?? leaf.PublicKey.Oid.Value}; PyHost serves RSA and ECDSA certificates"),
        };
        X509Certificate2 withKey;
        try
        {
            withKey = key is RSA rsa ? leaf.CopyWithPrivateKey(rsa) : leaf.CopyWithPrivateKey((ECDsa)key);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new CertificateLoadException($"{keyName}: this key does not belong to the first certificate of {certificateName} ({leaf.Subject}); the file must start with the server's own certificate, then the intermediates");
        }

        var chain = new X509Certificate2Collection();
        for (int i = 1; i < certificates.Count; i++)
        {
            chain.Add(certificates[i]);
        }
        return ServerCertificate.Create(withKey, chain, certificateName);
    }

    /// <summary>ImportFromPem takes PKCS#8 and the algorithm's own form (PKCS#1 for RSA, SEC 1 for EC) and skips other blocks.</summary>
    private static T ImportKey<T>(T key, string keyText, string keyName) where T : AsymmetricAlgorithm
    {
        try
        {
            key.ImportFromPem(keyText);
            return key;
        }
        catch (ArgumentException)
        {
            key.Dispose();
            throw new CertificateLoadException($"{keyName}: no {(key is RSA ? "RSA" : "ECDSA")} private key in it, or more than one (expected one '-----BEGIN PRIVATE KEY-----', '{(key is RSA ? "RSA" : "EC")} PRIVATE KEY' block matching the certificate)");
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new CertificateLoadException($"{keyName}: the private key does not parse ({ex.Message.TrimEnd('.')})");
        }
    }

    private static string ReadText(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException($"{path}: cannot read the {what} file ({ex.Message.TrimEnd('.')})");
        }
    }
}
