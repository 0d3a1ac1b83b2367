using System.Security.Cryptography;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.State;

/// <summary>
/// Certificates PyHost obtained, one directory per issuer and name: <c>certificates/ISSUER/NAME/certificate.pem</c>
/// (the chain, leaf first) and <c>key.pem</c> (0600). A wildcard's directory is named "_wildcard_.example.com".
/// </summary>
public sealed class IssuedCertificateStore(StateDirectory state, string issuer)
{
    public string Issuer { get; } = issuer;

    public ServerCertificate? TryLoad(string name, out string? problem)
    {
        problem = null;
        string directory = Path.Combine(state.Path, "certificates", Issuer, DirectoryName(name));
        string certificate = Path.Combine(directory, "certificate.pem");
        string key = Path.Combine(directory, "key.pem");
        if (!File.Exists(certificate) || !File.Exists(key))
        {
            return null;
        }
        try
        {
            return PemCertificateLoader.Load(certificate, key) is var loaded && loaded.Names.Contains(name, StringComparer.OrdinalIgnoreCase)
                ? loaded
                : null;
        }
        catch (CertificateLoadException ex)
        {
            problem = ex.Message;
            return null;
        }
    }

    public ServerCertificate Save(string name, string chainPem, string keyPem, string source)
    {
        string directory = state.Directory("certificates", Issuer, DirectoryName(name));
        ServerCertificate certificate = PemCertificateLoader.FromPem(chainPem, keyPem, source, source);
        StateDirectory.WritePrivate(Path.Combine(directory, "key.pem"), keyPem);
        StateDirectory.WritePrivate(Path.Combine(directory, "certificate.pem"), chainPem);
        return certificate;
    }

    /// <summary>A directory name for an issuer URL: its host, and a hash so two directories on one host stay apart.</summary>
    public static string IssuerName(Uri directory) =>
        $"{directory.Host}-{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(directory.AbsoluteUri)))[..8]}";

    private static string DirectoryName(string name) =>
        name.StartsWith("*.", StringComparison.Ordinal) ? "_wildcard_" + name[1..] : name.Replace(':', '_');
}
