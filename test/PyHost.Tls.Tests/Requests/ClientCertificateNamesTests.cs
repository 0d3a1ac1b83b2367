using System.Security.Cryptography.X509Certificates;
using PyHost.Tls.Requests;

namespace PyHost.Tls.Tests.Requests;

public sealed class ClientCertificateNamesTests
{
    [Theory]
    [InlineData("CN=alice, OU=Staff, O=Example, C=DE", "CN=alice,OU=Staff,O=Example,C=DE")]
    [InlineData("CN=\"Doe, Jane\", O=Example", "CN=Doe\\, Jane,O=Example")]
    [InlineData("CN=a+b, O=x=y", "CN=a\\+b,O=x\\=y")]
    [InlineData("E=jane@example.com, CN=Jane", "emailAddress=jane@example.com,CN=Jane")]
    [InlineData("CN=x, S=Bavaria, L=Munich", "CN=x,ST=Bavaria,L=Munich")]
    public void FormatsAsRfc4514MostSpecificFirstAsOpenSslRfc2253Does(string written, string expected) =>
        Assert.Equal(expected, ClientCertificateNames.Format(new X500DistinguishedName(written)));
}
