using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace PyHost.Http.Proxy.Http1;

/// <summary>
/// The proxy's own HTTP/1.1 client for the requests most proxied traffic is: no body or a small one read ahead
/// (<see cref="BufferedRequestBody"/>), no Upgrade, to a plain-HTTP or unix-socket server. It writes the request head
/// from Kestrel's parsed request (and the body after it) straight into one buffer, parses the response head straight
/// into Kestrel's response, and copies the body through, on kept-alive connections of its own pool. YARP's forwarder
/// with HttpClient (which every other request still takes) costs ~25 µs of user time per proxied request here against
/// nginx's ~5 (bench/results/proxy-cost-2026-11-30-night.md): request and response message objects, a Uri, header
/// collections copied twice, several async layers. The request PyHost sends is the same either way: the headers of
/// <see cref="ProxyRequestTransformer"/> (forwarding fields, Host, hop-by-hop fields dropped).
/// </summary>
public static class Http1Forwarder
{
    private static readonly string[] HopByHop = ["Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade"];

    /// <summary>Whether this request without a body read ahead can go this way: it has no body at all, and is not an
    /// Upgrade or CONNECT.</summary>
    public static bool Handles(HttpRequest request)
    {
        return !ProxyRoute.IsTunnel(request) && !request.Headers.ContainsKey("Transfer-Encoding") && ProxyRoute.HasNoBody(request);
    }

    /// <summary>Sends the request and copies the response to the client. The error and exception say what failed, in
    /// the terms of YARP's forwarder, so that the route handles both the same way.
    /// <paramref name="body"/> is the request's body read ahead (<see cref="BufferedRequestBody"/>), or empty.</summary>
    public static async ValueTask<(ForwarderError Error, Exception? Failure)> SendAsync(HttpContext context, Upstream upstream, UpstreamServer server,
        UpstreamConnectionPool pool, string? stripPrefix, ReadOnlyMemory<byte> body)
    {
        CancellationToken aborted = context.RequestAborted;
        TimeSpan timeout = upstream.Config.ResponseTimeout;
        using CancellationTokenSource? deadline = timeout > TimeSpan.Zero ? CancellationTokenSource.CreateLinkedTokenSource(aborted) : null;
        CancellationToken cancel = deadline?.Token ?? aborted;
        byte[] head = ArrayPool<byte>.Shared.Rent(4096);
        UpstreamConnection? connection = null;
        try
        {
            int headLength = WriteRequestHead(context, upstream, server, stripPrefix, body, ref head);
            // A request that must not be sent twice (a POST) is never sent again after a failure, so it takes only a
            // kept-alive connection that is still open by the look of it (HttpClient checks the same before reuse).
            bool resendable = ProxyRoute.IsIdempotent(context.Request.Method);
            UpstreamResponseHead? response = null;
            for (bool fresh = false; response is null; fresh = true)
            {
                try
                {
                    connection = await pool.RentAsync(fresh, checkOpen: !resendable, cancel);
                }
                catch (Exception error) when (error is SocketException or UpstreamConnectTimeoutException)
                {
                    return (ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError, ProxyErrors.Describe(error), error));
                }
                try
                {
                    deadline?.CancelAfter(timeout);
                    await connection.Socket.SendAsync(head.AsMemory(0, headLength), SocketFlags.None, cancel);
                    response = await ReadHeadAsync(connection, cancel);
                }
                catch (Exception error) when (resendable && connection.Reused && !fresh && !aborted.IsCancellationRequested
                    && error is SocketException or HttpIOException)
                {
                    // A kept-alive connection the server closed while it was idle: no answer began, and the method is
                    // idempotent, so it goes again on a new connection, as nginx and HttpClient do.
                    connection.Dispose();
                    connection = null;
                }
                catch (Exception error) when (!resendable && connection.Reused && error is SocketException or HttpIOException)
                {
                    throw new NotSentAgainException(context.Request.Method, error);
                }
            }
            bool reusable = await CopyResponseAsync(context, upstream, server, connection!, response, deadline, timeout, cancel);
            if (reusable)
            {
                pool.Return(connection!);
                connection = null;
            }
            return (ForwarderError.None, null);
        }
        catch (ResponseBodyException error)
        {
            if (!error.ClientSide && context.Response.HasStarted)
            {
                context.Abort();   // a cut response is all the client can be told (RFC 9112 §8), as YARP does
            }
            return (error.ClientSide ? ForwarderError.ResponseBodyClient : ForwarderError.ResponseBodyDestination, error.InnerException);
        }
        catch (OperationCanceledException error) when (aborted.IsCancellationRequested)
        {
            return (ForwarderError.RequestCanceled, error);
        }
        catch (OperationCanceledException error)
        {
            return (ForwarderError.RequestTimedOut, error);
        }
        catch (Exception error) when (error is SocketException or IOException or InvalidDataException)
        {
            return (ForwarderError.Request, error);
        }
        finally
        {
            connection?.Dispose();
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    private static async ValueTask<UpstreamResponseHead> ReadHeadAsync(UpstreamConnection connection, CancellationToken cancel)
    {
        while (true)
        {
            if (connection.Buffered > 0
                && UpstreamResponseHead.TryParse(connection.Buffer.AsSpan(connection.Start, connection.Buffered), out int consumed) is { } head)
            {
                connection.Start += consumed;
                if (head.Status is >= 100 and < 200)
                {
                    continue;   // 100 Continue, 103 Early Hints: interim, the final response follows (RFC 9110 §15.2)
                }
                return head;
            }
            if (await connection.ReceiveAsync(cancel) == 0)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, "the server closed the connection before it answered");
            }
        }
    }

    /// <summary>Copies status, fields and body to the client; whether the connection can carry another request.</summary>
    private static async ValueTask<bool> CopyResponseAsync(HttpContext context, Upstream upstream, UpstreamServer server, UpstreamConnection connection,
        UpstreamResponseHead head, CancellationTokenSource? deadline, TimeSpan timeout, CancellationToken cancel)
    {
        HttpResponse response = context.Response;
        response.StatusCode = head.Status;
        IHeaderDictionary headers = response.Headers;
        try
        {
            foreach (KeyValuePair<string, string> field in head.Fields)
            {
                if (!IsHopByHop(field.Key) && !field.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    && !head.ConnectionOptions.Contains(field.Key))
                {
                    headers.Append(field.Key, field.Value);
                }
            }
            // The length as parsed: one value even where the server repeated it ("7, 7"), none beside a transfer coding.
            response.ContentLength = head.ContentLength;
        }
        catch (InvalidOperationException error)
        {
            // A value Kestrel will not send (a byte past ASCII): the response cannot be passed on; the client gets 502.
            throw new ResponseBodyException(clientSide: false, error);
        }
        if (!upstream.IsUnhealthyStatus(head.Status))
        {
            upstream.Policy.Chosen(context, server);
        }

        UpstreamBodyFraming framing = head.Framing(HttpMethods.IsHead(context.Request.Method));
        Stream body = response.Body;
        switch (framing)
        {
            case UpstreamBodyFraming.None:
                break;
            case UpstreamBodyFraming.ContentLength:
                for (long left = head.ContentLength!.Value; left > 0;)
                {
                    if (connection.Buffered == 0)
                    {
                        await ReceiveBodyAsync(connection, deadline, timeout, cancel, endIsError: true);
                    }
                    int run = (int)Math.Min(left, connection.Buffered);
                    await WriteAsync(body, connection.Buffer.AsMemory(connection.Start, run), context.RequestAborted);
                    connection.Start += run;
                    left -= run;
                }
                break;
            case UpstreamBodyFraming.Chunked:
                var decoder = new ChunkedBodyDecoder();
                while (!decoder.IsDone)
                {
                    if (connection.Buffered == 0)
                    {
                        await ReceiveBodyAsync(connection, deadline, timeout, cancel, endIsError: true);
                    }
                    ChunkedBodyDecoder.Step step;
                    int consumed, start, length;
                    try
                    {
                        step = decoder.Decode(connection.Buffer.AsSpan(connection.Start, connection.Buffered), out consumed, out start, out length);
                    }
                    catch (InvalidDataException error)
                    {
                        throw new ResponseBodyException(clientSide: false, error);
                    }
                    if (step == ChunkedBodyDecoder.Step.Data)
                    {
                        await WriteAsync(body, connection.Buffer.AsMemory(connection.Start + start, length), context.RequestAborted);
                    }
                    connection.Start += consumed;
                }
                break;
            case UpstreamBodyFraming.UntilClose:
                while (true)
                {
                    if (connection.Buffered > 0)
                    {
                        await WriteAsync(body, connection.Buffer.AsMemory(connection.Start, connection.Buffered), context.RequestAborted);
                        connection.Start = connection.End;
                    }
                    if (!await ReceiveBodyAsync(connection, deadline, timeout, cancel, endIsError: false))
                    {
                        break;
                    }
                }
                break;
        }
        // Bytes beyond the response are a broken server's (or a smuggled response): the connection is not used again.
        return framing != UpstreamBodyFraming.UntilClose && !head.WillClose && connection.Buffered == 0;
    }

    private static async ValueTask<bool> ReceiveBodyAsync(UpstreamConnection connection, CancellationTokenSource? deadline, TimeSpan timeout,
        CancellationToken cancel, bool endIsError)
    {
        int received;
        try
        {
            deadline?.CancelAfter(timeout);
            received = await connection.ReceiveAsync(cancel);
        }
        catch (Exception error) when (error is SocketException or IOException or OperationCanceledException)
        {
            throw new ResponseBodyException(clientSide: false, error);
        }
        if (received == 0 && endIsError)
        {
            throw new ResponseBodyException(clientSide: false,
                new HttpIOException(HttpRequestError.ResponseEnded, "the server closed the connection before the response's end"));
        }
        return received > 0;
    }

    private static async ValueTask WriteAsync(Stream body, ReadOnlyMemory<byte> bytes, CancellationToken aborted)
    {
        try
        {
            await body.WriteAsync(bytes, aborted);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or ObjectDisposedException
            or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            throw new ResponseBodyException(clientSide: true, error);
        }
    }

    private static bool IsHopByHop(string name)
    {
        foreach (string hop in HopByHop)
        {
            if (hop.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The request line and fields, as <see cref="ProxyRequestTransformer"/> has them for YARP, then the body,
    /// so that both go in one write.</summary>
    internal static int WriteRequestHead(HttpContext context, Upstream upstream, UpstreamServer server, string? stripPrefix, ReadOnlyMemory<byte> body,
        ref byte[] buffer)
    {
        HttpRequest request = context.Request;
        var writer = new HeadWriter(buffer);
        writer.Append(request.Method);
        writer.Append(" ");
        writer.Append(ProxyRequestTransformer.Target(context, stripPrefix));
        writer.Append(" HTTP/1.1\r\nHost: ");
        writer.Append(upstream.Config.PreserveHost && request.Headers.Host.ToString() is { Length: > 0 } host ? host : server.HostField);
        writer.Append("\r\n");

        bool extend = ProxyRequestTransformer.ExtendsForwardingChain(context);
        List<(string Name, string Value)> forwarding = [.. ProxyRequestTransformer.ForwardingFields(context, upstream.Config.ForwardedHeaders)];
        List<string>? connectionOptions = null;
        foreach (string option in ProxyRequestTransformer.ConnectionOptions(request.Headers))
        {
            (connectionOptions ??= []).Add(option);
        }
        foreach (KeyValuePair<string, StringValues> field in request.Headers)
        {
            string name = field.Key;
            if (name.Length == 0 || name[0] == ':' || IsHopByHop(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)
                || (!extend && ProxyRequestTransformer.IsForwardingHeader(name))
                || forwarding.Exists(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                || connectionOptions?.Exists(o => o.Equals(name, StringComparison.OrdinalIgnoreCase)) == true)
            {
                continue;
            }
            if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) && field.Value.Count > 1)
            {
                // HTTP/2 may split cookies into several fields; HTTP/1.1 wants one (RFC 9113 §8.2.3).
                writer.Field(name, string.Join("; ", field.Value.ToArray()));
                continue;
            }
            foreach (string? value in field.Value)
            {
                writer.Field(name, value ?? "");
            }
        }
        foreach ((string name, string value) in forwarding)
        {
            writer.Field(name, value);
        }
        if (!body.IsEmpty)
        {
            writer.Field("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsDelete(request.Method)
            && !HttpMethods.IsOptions(request.Method) && !HttpMethods.IsTrace(request.Method))
        {
            // A POST or PUT without a body says so, as HttpClient does: some servers answer 411 to one without a length.
            writer.Append("Content-Length: 0\r\n");
        }
        writer.Append("\r\n");
        writer.Append(body.Span);
        buffer = writer.Buffer;
        return writer.Length;
    }

    /// <summary>Latin-1 text into a pooled buffer that grows (returning the smaller one to the pool).</summary>
    private ref struct HeadWriter(byte[] buffer)
    {
        public byte[] Buffer = buffer;
        public int Length;

        public void Field(string name, string value)
        {
            Append(name);
            Append(": ");
            Append(value);
            Append("\r\n");
        }

        public void Append(string text)
        {
            Reserve(text.Length);
            Length += Encoding.Latin1.GetBytes(text, Buffer.AsSpan(Length));
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(Buffer.AsSpan(Length));
            Length += bytes.Length;
        }

        private void Reserve(int more)
        {
            if (Length + more > Buffer.Length)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Length + more));
                Buffer.AsSpan(0, Length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = larger;
            }
        }
    }

    /// <summary>The response failed after its head was copied: on the client's side (it left) or the server's.</summary>
    private sealed class ResponseBodyException(bool clientSide, Exception inner) : Exception(inner.Message, inner)
    {
        public bool ClientSide { get; } = clientSide;
    }
}
