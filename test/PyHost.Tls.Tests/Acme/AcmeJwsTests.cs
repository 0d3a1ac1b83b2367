using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PyHost.Tls.Acme;

namespace PyHost.Tls.Tests.Acme;

public sealed class AcmeJwsTests
{
    private static byte[] FromBase64Url(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    [Fact]
    public void TheThumbprintIsTheSha256OfTheCanonicalJwk()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters p = key.ExportParameters(false);
        // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
        string canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Convert.ToBase64String(p.Q.X!).TrimEnd('=').Replace('+', '-').Replace('/', '_')}\",\"y\":\"{Convert.ToBase64String(p.Q.Y!).TrimEnd('=').Replace('+', '-').Replace('/', '_')}\"}}";
        string expected = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var jws = new AcmeJws(key);
        Assert.Equal(expected, jws.Thumbprint());
        Assert.Equal("token-1." + expected, jws.KeyAuthorization("token-1"));
    }

    [Fact]
    public void ANewAccountRequestCarriesTheKeyAndVerifies()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] body = new AcmeJws(key).Sign("https://ca.test/new-account", "nonce-1", null, "{\"termsOfServiceAgreed\":true}"u8.ToArray());
        using JsonDocument jws = JsonDocument.Parse(body);
        string protectedPart = jws.RootElement.GetProperty("protected").GetString()!;
        string payloadPart = jws.RootElement.GetProperty("payload").GetString()!;
        byte[] signature = FromBase64Url(jws.RootElement.GetProperty("signature").GetString()!);

        using JsonDocument header = JsonDocument.Parse(FromBase64Url(protectedPart));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", header.RootElement.GetProperty("nonce").GetString());
        Assert.Equal("https://ca.test/new-account", header.RootElement.GetProperty("url").GetString());
        Assert.Equal("EC", header.RootElement.GetProperty("jwk").GetProperty("kty").GetString());
        Assert.False(header.RootElement.TryGetProperty("kid", out _));
        Assert.Equal("{\"termsOfServiceAgreed\":true}", Encoding.UTF8.GetString(FromBase64Url(payloadPart)));

        // RFC 7518 §3.4: r||s, 64 bytes, over ASCII(protected "." payload).
        Assert.Equal(64, signature.Length);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void PostAsGetHasAnEmptyPayloadAndTheAccountUrl()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using JsonDocument jws = JsonDocument.Parse(new AcmeJws(key).Sign("https://ca.test/order/1", "n", "https://ca.test/acct/7", null));
        Assert.Equal("", jws.RootElement.GetProperty("payload").GetString());
        using JsonDocument header = JsonDocument.Parse(FromBase64Url(jws.RootElement.GetProperty("protected").GetString()!));
        Assert.Equal("https://ca.test/acct/7", header.RootElement.GetProperty("kid").GetString());
        Assert.False(header.RootElement.TryGetProperty("jwk", out _));
    }

    [Fact]
    public void TheTlsAlpnCertificateCarriesTheDigestInACriticalAcmeIdentifierExtension()
    {
        var certificate = TlsAlpnChallengeCertificate.Create("app.example.com", "tok.thumb");
        System.Security.Cryptography.X509Certificates.X509Extension extension = certificate.Leaf.Extensions[TlsAlpnChallengeCertificate.AcmeIdentifierOid]!;
        Assert.True(extension.Critical);
        byte[] expected = [0x04, 0x20, .. SHA256.HashData("tok.thumb"u8)];
        Assert.Equal(expected, extension.RawData);
        Assert.Equal(["app.example.com"], certificate.Names);
    }
}
