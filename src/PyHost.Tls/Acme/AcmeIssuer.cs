using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Configuration.Model;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Acme;

/// <summary>
/// Obtains one certificate for one name, RFC 8555 §7.4 end to end: a new order, each authorization answered with a
/// challenge PyHost serves itself (§8.3 HTTP-01, RFC 8737 TLS-ALPN-01), the order finalized with a CSR for a fresh
/// ECDSA P-256 key, and the chain downloaded.
/// </summary>
public sealed partial class AcmeIssuer(AcmeClient client, AcmeConfig config, ChallengeResponses responses, IReadOnlySet<AcmeChallengeType> answerable, ILogger logger)
{
    private static readonly TimeSpan PollLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);

    public async Task<(string ChainPem, string KeyPem)> ObtainAsync(string name, CancellationToken cancel)
    {
        await client.EnsureAccountAsync(config.Email, cancel);
        AcmeIdentifier identifier = IPAddress.TryParse(name.Trim('[', ']'), out _)
            ? new AcmeIdentifier("ip", name.Trim('[', ']'))   // RFC 8738
            : new AcmeIdentifier("dns", name);
        (string orderUrl, AcmeOrder order) = await client.NewOrderAsync([identifier], cancel);
        foreach (string authorizationUrl in order.Authorizations)
        {
            await AuthorizeAsync(authorizationUrl, cancel);
        }

        // §7.4: once every authorization is valid the order is "ready" for the CSR.
        order = await PollAsync(orderUrl, AcmeJson.Default.AcmeOrder, o => o.Status is "ready" or "valid" or "invalid", cancel);
        if (order.Status == "invalid")
        {
            throw new AcmeException($"the order for {name} became invalid: {order.Error}", order.Error);
        }
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (order.Status == "ready")
        {
            order = await client.FinalizeAsync(order.Finalize, CertificateSigningRequest(identifier, key), cancel);
        }
        order = await PollAsync(orderUrl, AcmeJson.Default.AcmeOrder, o => o.Status is "valid" or "invalid", cancel, order);
        if (order.Status != "valid" || order.Certificate is null)
        {
            throw new AcmeException($"the order for {name} ended {order.Status}: {order.Error}", order.Error);
        }
        string chain = await client.DownloadCertificateAsync(order.Certificate, cancel);
        return (chain, key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>§7.5: one authorization, answered with the first challenge type of [acme] challenges the server offers.</summary>
    private async Task AuthorizeAsync(string url, CancellationToken cancel)
    {
        (AcmeAuthorization authorization, _) = await client.GetAsync(url, AcmeJson.Default.AcmeAuthorization, cancel);
        if (authorization.Status == "valid")
        {
            return;   // reused from an earlier order (§7.1.3 allows it)
        }
        string name = authorization.Identifier.Value;
        AcmeChallenge challenge = config.Challenges.Where(answerable.Contains)
            .Select(type => authorization.Challenges.FirstOrDefault(offered => offered.Type == TypeName(type)))
            .FirstOrDefault(offered => offered?.Token is not null)
            ?? throw new AcmeException($"no challenge for {name} that PyHost can answer here: the CA offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))}; "
                                       + $"PyHost answers {string.Join(", ", config.Challenges.Where(answerable.Contains).Select(TypeName))} (http-01 needs a plain listener, tls-alpn-01 a TLS one)");
        string keyAuthorization = client.Jws.KeyAuthorization(challenge.Token!);
        bool http = challenge.Type == TypeName(AcmeChallengeType.Http01);
        if (http)
        {
            responses.PublishHttp(challenge.Token!, keyAuthorization);
        }
        else
        {
            responses.PublishTlsAlpn(name, TlsAlpnChallengeCertificate.Create(name, keyAuthorization));
        }
        try
        {
            LogAnswering(name, challenge.Type);
            await client.RespondAsync(challenge.Url, cancel);
            authorization = await PollAsync(url, AcmeJson.Default.AcmeAuthorization, a => a.Status is not "pending", cancel);
            if (authorization.Status != "valid")
            {
                AcmeProblem? problem = authorization.Challenges.FirstOrDefault(c => c.Url == challenge.Url)?.Error;
                throw new AcmeException($"the CA could not validate {name} by {challenge.Type}: {problem?.ToString() ?? authorization.Status}", problem);
            }
        }
        finally
        {
            if (http)
            {
                responses.WithdrawHttp(challenge.Token!);
            }
            else
            {
                responses.WithdrawTlsAlpn(name);
            }
        }
    }

    private async Task<T> PollAsync<T>(string url, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Func<T, bool> done, CancellationToken cancel, T? current = null)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + PollLimit;
        while (true)
        {
            if (current is not null && done(current))
            {
                return current;
            }
            (T value, TimeSpan? retryAfter) = await client.GetAsync(url, type, cancel);
            if (done(value))
            {
                return value;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new AcmeException($"{url} did not move on within {PollLimit.TotalSeconds} s");
            }
            TimeSpan wait = retryAfter is { } after && after > TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Min(after.TotalSeconds, 10)) : DefaultPollInterval;
            await Task.Delay(wait, cancel);
            current = null;
        }
    }

    /// <summary>§7.4: a PKCS#10 CSR (RFC 2986) naming the identifier in subjectAltName.</summary>
    private static byte[] CertificateSigningRequest(AcmeIdentifier identifier, ECDsa key)
    {
        var request = new CertificateRequest(identifier.Type == "dns" ? $"CN={identifier.Value}" : "", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        if (identifier.Type == "ip")
        {
            alternativeNames.AddIpAddress(IPAddress.Parse(identifier.Value));
        }
        else
        {
            alternativeNames.AddDnsName(identifier.Value);
        }
        request.CertificateExtensions.Add(alternativeNames.Build());
        return request.CreateSigningRequest();
    }

    public static string TypeName(AcmeChallengeType type) => type switch
    {
        AcmeChallengeType.Http01 => "http-01",
        _ => "tls-alpn-01",
    };

    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "ACME: answering the {Challenge} challenge for {Name}")]
    private partial void LogAnswering(string name, string challenge);
}

/// <summary>
/// RFC 8737 §3: the TLS-ALPN-01 certificate: self-signed, a subjectAltName with exactly the name validated, and the
/// critical acmeIdentifier extension (id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31) holding the SHA-256 digest of the
/// key authorization as an ASN.1 OCTET STRING.
/// </summary>
public static class TlsAlpnChallengeCertificate
{
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    public static ServerCertificate Create(string name, string keyAuthorization)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out IPAddress? address))
        {
            alternativeNames.AddIpAddress(address);
        }
        else
        {
            alternativeNames.AddDnsName(name);
        }
        request.CertificateExtensions.Add(alternativeNames.Build());
        byte[] digest = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(keyAuthorization));
        byte[] octetString = [0x04, (byte)digest.Length, .. digest];   // DER: OCTET STRING, length 32
        request.CertificateExtensions.Add(new X509Extension(new Oid(AcmeIdentifierOid), octetString, critical: true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(7));
        return ServerCertificate.Create(certificate, [], "TLS-ALPN-01 challenge");
    }
}
