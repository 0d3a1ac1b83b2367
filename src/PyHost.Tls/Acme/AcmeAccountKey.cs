using System.Security.Cryptography;
using PyHost.Tls.State;

namespace PyHost.Tls.Acme;

/// <summary>
/// The account key for one ACME directory (ECDSA P-256, PKCS#8, 0600), made on first use and kept: the account is
/// found again by its key (RFC 8555 §7.3.1), so no account URL needs to be stored.
/// </summary>
public static class AcmeAccountKey
{
    public static ECDsa LoadOrCreate(StateDirectory state, Uri directory)
    {
        string path = Path.Combine(state.Directory("acme", State.IssuedCertificateStore.IssuerName(directory)), "account.key");
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }
        StateDirectory.WritePrivate(path, key.ExportPkcs8PrivateKeyPem());
        return key;
    }
}
