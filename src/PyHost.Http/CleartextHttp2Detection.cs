using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PyHost.Http;

/// <summary>
/// HTTP/1.1 and prior-knowledge HTTP/2 (h2c, RFC 9113 §3.3) on one cleartext port. Kestrel serves only HTTP/1.1 on a
/// cleartext Http1AndHttp2 endpoint, since without TLS there is no ALPN to choose by; but it lets a connection carry
/// its own protocol choice (the feature its TLS layer sets after ALPN). This middleware peeks at the first bytes: the
/// HTTP/2 connection preface (RFC 9113 §3.4) means HTTP/2, anything else HTTP/1.1.
/// </summary>
internal static class CleartextHttp2Detection
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    // Kestrel's internal per-connection protocol choice. Looked up once; if a Kestrel version renames it, the
    // endpoint stays HTTP/1.1 only and the start-up log says so. The name is a literal and the field is annotated,
    // so the trimmer and NativeAOT keep the type and its constructor (and check this at build time).
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)]
    private static readonly Type? ProtocolsFeatureType = Type.GetType(
        "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.HttpProtocolsFeature, Microsoft.AspNetCore.Server.Kestrel.Core");
    private static readonly object? Http1Only = CreateFeature(HttpProtocols.Http1);
    private static readonly object? Http2Only = CreateFeature(HttpProtocols.Http2);

    public static bool IsAvailable => Http1Only is not null && Http2Only is not null;

    /// <summary>
    /// Makes <paramref name="listen"/> serve both. The endpoint itself is declared HTTP/1.1 (so Kestrel does not warn
    /// that cleartext HTTP/2 is off); each connection's own choice then says which one it speaks.
    /// </summary>
    public static void Use(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => async connection =>
        {
            bool http2 = await StartsWithPrefaceAsync(connection.Transport.Input);
            connection.Features[ProtocolsFeatureType!] = http2 ? Http2Only : Http1Only;
            await next(connection);
        });
    }

    /// <summary>Whether this connection was found to speak HTTP/2 (false when detection is not in use).</summary>
    public static bool ChoseHttp2(ConnectionContext connection) =>
        ProtocolsFeatureType is not null && ReferenceEquals(connection.Features[ProtocolsFeatureType], Http2Only);

    /// <summary>Reads until the first bytes match or rule out the preface; consumes nothing.</summary>
    private static async ValueTask<bool> StartsWithPrefaceAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            int compared = (int)Math.Min(buffer.Length, Preface.Length);
            bool matchesSoFar = MatchesPreface(buffer.Slice(0, compared));
            if (!matchesSoFar || compared == Preface.Length || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return matchesSoFar && compared == Preface.Length;
            }
            // A prefix of the preface: wait for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool MatchesPreface(ReadOnlySequence<byte> start)
    {
        Span<byte> bytes = stackalloc byte[Preface.Length];
        start.CopyTo(bytes);
        return bytes[..(int)start.Length].SequenceEqual(Preface.AsSpan(0, (int)start.Length));
    }

    private static object? CreateFeature(HttpProtocols protocols)
    {
        try
        {
            return ProtocolsFeatureType is null ? null : Activator.CreateInstance(ProtocolsFeatureType, protocols);
        }
        catch (MissingMethodException)
        {
            return null;
        }
    }
}
