using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace PyHost.Tls.Acme;

/// <summary>An ACME request the server refused, with its problem document (RFC 8555 §6.7).</summary>
public sealed class AcmeException(string message, AcmeProblem? problem = null) : Exception(message)
{
    public AcmeProblem? Problem { get; } = problem;
}

/// <summary>
/// The transport of RFC 8555: every request a signed POST (§6.2, §6.3 POST-as-GET), each with a fresh nonce
/// (§6.5): the one from the previous response's Replay-Nonce, else one from newNonce (§7.2). A badNonce refusal is
/// retried with the nonce it carries, as §6.5 asks ("SHOULD retry").
/// </summary>
public sealed class AcmeClient(HttpClient http, Uri directoryUrl, AcmeJws jws)
{
    private const int BadNonceRetries = 10;
    private const string JoseJson = "application/jose+json";

    private AcmeDirectory? _directory;
    private string? _nonce;

    public AcmeJws Jws { get; } = jws;

    /// <summary>The account URL (§7.3), the "kid" of every request after newAccount.</summary>
    public string? AccountUrl { get; private set; }

    public async Task<AcmeDirectory> DirectoryAsync(CancellationToken cancel)
    {
        if (_directory is not null)
        {
            return _directory;
        }
        using HttpResponseMessage response = await http.GetAsync(directoryUrl, cancel);
        string body = await response.Content.ReadAsStringAsync(cancel);
        if (!response.IsSuccessStatusCode)
        {
            throw new AcmeException($"the ACME directory {directoryUrl} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        _directory = Deserialize(body, AcmeJson.Default.AcmeDirectory, directoryUrl.ToString());
        return _directory;
    }

    /// <summary>
    /// §7.3: creates the account for this key, or finds it (a newAccount with a known key answers 200 with its URL),
    /// agreeing to the terms of service as Caddy and certbot --agree-tos do.
    /// </summary>
    public async Task EnsureAccountAsync(string? email, CancellationToken cancel)
    {
        if (AccountUrl is not null)
        {
            return;
        }
        AcmeDirectory directory = await DirectoryAsync(cancel);
        var request = new AcmeNewAccount(true, email is null ? null : ["mailto:" + email]);
        using AcmeResponse response = await PostAsync(directory.NewAccount, Serialize(request, AcmeJson.Default.AcmeNewAccount), useKid: false, cancel);
        AccountUrl = response.Location ?? throw new AcmeException("newAccount answered without the account URL (Location)");
    }

    public async Task<(string Url, AcmeOrder Order)> NewOrderAsync(IReadOnlyList<AcmeIdentifier> identifiers, CancellationToken cancel)
    {
        AcmeDirectory directory = await DirectoryAsync(cancel);
        using AcmeResponse response = await PostAsync(directory.NewOrder, Serialize(new AcmeNewOrder(identifiers), AcmeJson.Default.AcmeNewOrder), useKid: true, cancel);
        string url = response.Location ?? throw new AcmeException("newOrder answered without the order URL (Location)");
        return (url, response.Read(AcmeJson.Default.AcmeOrder));
    }

    public async Task<(T Value, TimeSpan? RetryAfter)> GetAsync<T>(string url, JsonTypeInfo<T> type, CancellationToken cancel)
    {
        using AcmeResponse response = await PostAsync(url, null, useKid: true, cancel);
        return (response.Read(type), response.RetryAfter);
    }

    /// <summary>§7.5.1: tells the server a challenge is ready to be validated (payload "{}").</summary>
    public async Task RespondAsync(string challengeUrl, CancellationToken cancel)
    {
        using AcmeResponse response = await PostAsync(challengeUrl, Serialize(new AcmeEmpty(), AcmeJson.Default.AcmeEmpty), useKid: true, cancel);
    }

    public async Task<AcmeOrder> FinalizeAsync(string finalizeUrl, byte[] csrDer, CancellationToken cancel)
    {
        var request = new AcmeFinalize(AcmeJws.Base64Url(csrDer));
        using AcmeResponse response = await PostAsync(finalizeUrl, Serialize(request, AcmeJson.Default.AcmeFinalize), useKid: true, cancel);
        return response.Read(AcmeJson.Default.AcmeOrder);
    }

    /// <summary>§7.4.2: the certificate chain as PEM (application/pem-certificate-chain), leaf first.</summary>
    public async Task<string> DownloadCertificateAsync(string url, CancellationToken cancel)
    {
        using AcmeResponse response = await PostAsync(url, null, useKid: true, cancel, accept: "application/pem-certificate-chain");
        return response.Body;
    }

    private async Task<AcmeResponse> PostAsync(string url, byte[]? payload, bool useKid, CancellationToken cancel, string accept = "application/json")
    {
        for (int attempt = 0; ; attempt++)
        {
            string nonce = _nonce ?? await NewNonceAsync(cancel);
            _nonce = null;
            byte[] body = Jws.Sign(url, nonce, useKid ? AccountUrl ?? throw new InvalidOperationException("no ACME account yet") : null, payload);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseJson);
            request.Headers.Accept.ParseAdd(accept);
            HttpResponseMessage response = await http.SendAsync(request, cancel);
            _nonce = response.Headers.TryGetValues("Replay-Nonce", out IEnumerable<string>? nonces) ? nonces.FirstOrDefault() : null;
            string text = await response.Content.ReadAsStringAsync(cancel);
            if (response.IsSuccessStatusCode)
            {
                return new AcmeResponse(response, text, url);
            }
            response.Dispose();
            AcmeProblem? problem = TryDeserialize(text, AcmeJson.Default.AcmeProblem);
            if (problem?.Type == AcmeProblem.BadNonce && attempt < BadNonceRetries)
            {
                continue;   // §6.5: retry with the fresh nonce of the refusal (or a new one)
            }
            throw new AcmeException($"{url} answered {(int)response.StatusCode}: {problem?.ToString() ?? Shorten(text)}", problem);
        }
    }

    /// <summary>§7.2: HEAD newNonce; the nonce is in Replay-Nonce.</summary>
    private async Task<string> NewNonceAsync(CancellationToken cancel)
    {
        AcmeDirectory directory = await DirectoryAsync(cancel);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        using HttpResponseMessage response = await http.SendAsync(request, cancel);
        return response.Headers.TryGetValues("Replay-Nonce", out IEnumerable<string>? nonces) && nonces.FirstOrDefault() is { } nonce
            ? nonce
            : throw new AcmeException($"newNonce ({directory.NewNonce}) answered {(int)response.StatusCode} without a Replay-Nonce");
    }

    private static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private static T Deserialize<T>(string text, JsonTypeInfo<T> type, string from)
    {
        try
        {
            return JsonSerializer.Deserialize(text, type) ?? throw new AcmeException($"{from} answered null");
        }
        catch (JsonException ex)
        {
            throw new AcmeException($"{from} answered JSON PyHost cannot read ({ex.Message}): {Shorten(text)}");
        }
    }

    private static T? TryDeserialize<T>(string text, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;

    private sealed class AcmeResponse(HttpResponseMessage response, string body, string url) : IDisposable
    {
        public string Body { get; } = body;

        public string? Location => response.Headers.Location?.ToString();

        /// <summary>§8.2: how long to wait before polling again.</summary>
        public TimeSpan? RetryAfter => response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };

        public T Read<T>(JsonTypeInfo<T> type) => Deserialize(Body, type, url);

        public void Dispose() => response.Dispose();
    }

    /// <summary>An HTTP client for one ACME directory; <paramref name="trustedRoots"/> replaces the system's trust for its HTTPS.</summary>
    public static HttpClient CreateHttpClient(System.Security.Cryptography.X509Certificates.X509Certificate2Collection? trustedRoots)
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (trustedRoots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(certificate as System.Security.Cryptography.X509Certificates.X509Certificate2
                                   ?? System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        // RFC 8555 §6.1: clients MUST send a User-Agent.
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"pyhost/{typeof(AcmeClient).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        return client;
    }
}
