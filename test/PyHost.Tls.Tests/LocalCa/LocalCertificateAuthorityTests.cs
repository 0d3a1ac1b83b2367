using System.Security.Cryptography.X509Certificates;
using PyHost.Tls.Certificates;
using PyHost.Tls.LocalCa;
using PyHost.Tls.State;

namespace PyHost.Tls.Tests.LocalCa;

public sealed class LocalCertificateAuthorityTests
{
    [Theory]
    [InlineData("localhost", true)]
    [InlineData("notes.localhost", true)]
    [InlineData("*.docs.localhost", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("printer.local", true)]
    [InlineData("db.internal", true)]
    [InlineData("nas.home.arpa", true)]
    [InlineData("intranet", true)]
    [InlineData("example.com", false)]
    [InlineData("app.pyhost.test", false)]
    [InlineData("localhost.example.com", false)]
    public void OnlyNamesNoPublicCaCertifiesAreLocal(string name, bool local) =>
        Assert.Equal(local, LocalCertificateAuthority.IsLocalName(name));

    [Fact]
    public void ItsLeavesChainToItsRootAndItsFilesArePrivate()
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-ca-").FullName;
        try
        {
            var state = new StateDirectory(Path.Combine(directory, "state"));
            LocalCertificateAuthority ca = LocalCertificateAuthority.OpenOrCreate(state, out bool created);
            Assert.True(created);
            LocalCertificateAuthority.OpenOrCreate(state, out bool createdAgain);
            Assert.False(createdAgain);

            (string chain, string key) = ca.Issue("notes.localhost", DateTimeOffset.UtcNow, TimeSpan.FromDays(30));
            ServerCertificate leaf = PemCertificateLoader.FromPem(chain, key, "chain", "key");
            Assert.Equal(["notes.localhost"], leaf.Names);
            using var verify = new X509Chain();
            verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            verify.ChainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(ca.RootPath));
            verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            verify.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));
            Assert.True(verify.Build(leaf.Leaf), string.Join(", ", verify.ChainStatus.Select(s => s.StatusInformation)));

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state.Path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(state.Path, "local-ca", "root.key")));
            Assert.InRange((leaf.RenewalTime - leaf.NotBefore).TotalDays, 19.9, 20.1);   // two thirds of 30 days
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
