using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// .NET's own HTTPS client pointed at a test server: any host name is connected to 127.0.0.1:PORT (so SNI carries
/// the name), the server's chain must end at <c>roots</c>, and every certificate a new TLS connection was shown is
/// recorded — a keep-alive request on a connection already open records nothing.
/// </summary>
public sealed class TlsClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly List<X509Certificate2> _seen = [];

    public TlsClient(int port, X509Certificate2Collection roots, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, sent, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }
            var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            lock (_seen)
            {
                _seen.Add(presented);
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (sent is not null)
            {
                // The intermediates the server sent.
                chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
                foreach (X509ChainElement element in sent.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            return chain.Build(presented);
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    /// <summary>The server certificates of the TLS connections made so far, in order.</summary>
    public IReadOnlyList<X509Certificate2> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public async Task<HttpResponseMessage> GetAsync(string url, Version? version = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url)
        {
            Version = version ?? HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        return await _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();
}
