using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using PyHost.Protocol;
using PyHost.Tls.Requests;

namespace PyHost.Http;

/// <summary>
/// The environ keys of a TLS connection, named as mod_ssl (SSLOptions +StdEnvVars) and nginx's fastcgi/uwsgi params
/// give them to apps: HTTPS=on, SSL_PROTOCOL, and for mutual TLS SSL_CLIENT_VERIFY (SUCCESS when a certificate was
/// shown and verified, NONE when none was), SSL_CLIENT_S_DN and SSL_CLIENT_I_DN (RFC 4514, most specific first).
/// </summary>
public static partial class WsgiEnviron
{
    private static readonly byte[] Https = MarshalWriter.EncodeKey("HTTPS");
    private static readonly byte[] SslProtocol = MarshalWriter.EncodeKey("SSL_PROTOCOL");
    private static readonly byte[] SslClientVerify = MarshalWriter.EncodeKey("SSL_CLIENT_VERIFY");
    private static readonly byte[] SslClientSubject = MarshalWriter.EncodeKey("SSL_CLIENT_S_DN");
    private static readonly byte[] SslClientIssuer = MarshalWriter.EncodeKey("SSL_CLIENT_I_DN");

    // A connection's certificate names are formatted once, not per request.
    private static readonly ConditionalWeakTable<System.Security.Cryptography.X509Certificates.X509Certificate2, string[]> ClientNames = new();

    private static void WriteTls(IBufferWriter<byte> output, HttpContext context)
    {
        if (context.Features.Get<ITlsHandshakeFeature>() is not { } handshake)
        {
            return;
        }
        Add(output, Https, "on");
        Add(output, SslProtocol, handshake.Protocol switch
        {
            SslProtocols.Tls13 => "TLSv1.3",
            SslProtocols.Tls12 => "TLSv1.2",
            _ => handshake.Protocol.ToString(),
        });
        if (context.Connection.ClientCertificate is not { } certificate)
        {
            Add(output, SslClientVerify, "NONE");
            return;
        }
        // The handshake refused any certificate that does not chain to the listener's client CA.
        Add(output, SslClientVerify, "SUCCESS");
        string[] names = ClientNames.GetValue(certificate, static c =>
            [ClientCertificateNames.Format(c.SubjectName), ClientCertificateNames.Format(c.IssuerName)]);
        Add(output, SslClientSubject, names[0]);
        Add(output, SslClientIssuer, names[1]);
    }
}
