using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Tls.Acme;
using PyHost.Tls.Certificates;
using PyHost.Tls.Handshake;
using PyHost.Tls.Requests;

namespace PyHost.Tls;

/// <summary>
/// TLS for the HTTP front, built from the configuration model (one per configuration: a reload makes a new one). The
/// host calls <see cref="Create"/> once (it loads every certificate, so a bad file stops the start with a clear
/// message), <see cref="ConfigureEndpoint"/> for each listener's Kestrel endpoint (TLS with SNI, ALPN and client
/// certificates on TLS listeners; the redirect marker on https_redirect ones), <see cref="UseRequestMiddleware"/> on
/// each listener's app (challenge answers, redirect and HSTS before any route), and <see cref="StartMaintenance"/> once
/// the listeners accept (automatic certificates).
/// </summary>
public sealed partial class TlsFront : IAsyncDisposable
{
    private readonly IReadOnlyList<ListenerConfig> _listeners;
    private readonly Dictionary<ListenerConfig, ListenerHandshake> _handshakes;
    private readonly HostTable<string> _hsts;
    private readonly string? _defaultSiteHsts;
    private readonly ChallengeResponses _challenges;
    private readonly bool _answersTlsAlpn;
    private readonly CertificateFileWatcher? _fileWatcher;
    private readonly CertificateMaintenance? _maintenance;
    private readonly ILogger _logger;

    /// <summary>The local CA's root certificate file, when a site uses it.</summary>
    public string? LocalCaRoot { get; }

    public async ValueTask DisposeAsync()
    {
        _fileWatcher?.Dispose();
        if (_maintenance is not null)
        {
            await _maintenance.DisposeAsync();
        }
    }

    /// <summary>
    /// Sets up one Kestrel endpoint of a configured listener. True when it now speaks TLS (HTTP/2 is then chosen by
    /// ALPN); false for a plain one, which the front sets up for h2c as before. Call it after any middleware that must
    /// see the raw bytes first (PROXY protocol), since TLS starts here.
    /// </summary>
    public bool ConfigureEndpoint(ListenOptions listen, ListenerConfig listener)
    {
        if (!_listeners.Contains(listener))
        {
            return false;
        }
        if (listener.Tls == ListenerTls.None)
        {
            if (listener.HttpsRedirect)
            {
                var redirect = new HttpsRedirectFeature(HttpsPort());
                listen.Use(next => connection =>
                {
                    connection.Features.Set(redirect);
                    return next(connection);
                });
            }
            return false;
        }
        ListenerHandshake handshake = _handshakes[listener];
        listen.Protocols = ToKestrel(listener.Protocols);
        if (_answersTlsAlpn)
        {
            listen.Use(ClientHelloPeek.Middleware);
        }
        listen.UseHttps(handshake.CallbackOptions);
        if (_answersTlsAlpn)
        {
            // RFC 8737 §4: a validation connection carries no data after the handshake; close it there.
            listen.Use(next => connection =>
                connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual(TlsDefaults.AcmeTls1.Protocol.Span) == true
                    ? Task.CompletedTask
                    : next(connection));
        }
        return true;
    }

    /// <summary>The request middleware (ACME challenge answers, the https redirect, HSTS), first in the pipeline of
    /// every listener's Kestrel.</summary>
    public void UseRequestMiddleware(IApplicationBuilder app)
    {
        var middleware = new TlsRequestMiddleware(_challenges, _hsts, _defaultSiteHsts);
        app.Use(middleware.InvokeAsync);
    }

    /// <summary>Starts obtaining and renewing automatic certificates (once; later calls do nothing). Call it when the
    /// listeners that answer the challenges accept connections.</summary>
    public void StartMaintenance() => _maintenance?.Start();

    /// <summary>Where a redirect sends clients: the first TLS listener's port.</summary>
    private int? HttpsPort() => _listeners.FirstOrDefault(listener => listener.Tls != ListenerTls.None)?.Address.Port;

    private static HttpProtocols ToKestrel(IReadOnlyList<HttpProtocol> protocols) =>
        (protocols.Contains(HttpProtocol.Http1), protocols.Contains(HttpProtocol.Http2)) switch
        {
            (true, true) => HttpProtocols.Http1AndHttp2,
            (false, true) => HttpProtocols.Http2,
            _ => HttpProtocols.Http1,
        };

    private static List<SslApplicationProtocol> Alpn(IReadOnlyList<HttpProtocol> protocols)
    {
        var offered = new List<SslApplicationProtocol>();
        // RFC 7301 §3.2: the server picks by its own preference; h2 first, as nginx and Caddy do.
        if (protocols.Contains(HttpProtocol.Http2))
        {
            offered.Add(SslApplicationProtocol.Http2);
        }
        if (protocols.Contains(HttpProtocol.Http1) || offered.Count == 0)
        {
            offered.Add(SslApplicationProtocol.Http11);
        }
        return offered;
    }
}
