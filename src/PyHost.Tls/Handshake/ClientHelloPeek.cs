using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace PyHost.Tls.Handshake;

/// <summary>The ClientHello of a connection, read before the handshake; set on connections of listeners that answer TLS-ALPN-01.</summary>
public sealed class ClientHelloFeature(ClientHello hello)
{
    public ClientHello Hello { get; } = hello;
}

/// <summary>
/// Connection middleware placed before Kestrel's TLS: it reads the ClientHello without consuming it (as
/// <c>CleartextHttp2Detection</c> reads the h2c preface) so the handshake callback can see the offered ALPN list.
/// </summary>
public static class ClientHelloPeek
{
    /// <summary>A client that does not finish its ClientHello within this is left to TLS, which times it out.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        if (await ReadAsync(connection.Transport.Input, connection.ConnectionClosed) is { } hello)
        {
            connection.Features.Set(new ClientHelloFeature(hello));
        }
        await next(connection);
    };

    private static async ValueTask<ClientHello?> ReadAsync(PipeReader input, CancellationToken closed)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(closed);
        timeout.CancelAfter(ReadTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            ClientHelloStatus status = ClientHello.TryRead(buffer, out ClientHello? hello);
            if (status == ClientHelloStatus.NeedMore && !result.IsCompleted && !result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }
            input.AdvanceTo(buffer.Start);
            return hello;
        }
    }
}
