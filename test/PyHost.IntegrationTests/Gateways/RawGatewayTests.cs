using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>A pyhost with gateway listeners and a 1 KiB body limit, spoken to byte by byte as a front server would.</summary>
public sealed class RawGatewayServer : IAsyncLifetime
{
    private GatewayPyHost? _pyHost;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-rawgw-").FullName;

    public GatewayPyHost PyHost => _pyHost ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        _pyHost = await GatewayPyHost.StartAsync(Directory, Directory, [GatewayProtocol.Uwsgi, GatewayProtocol.Scgi, GatewayProtocol.FastCgi],
            keepAliveListener: false, ["--max-request-body", "1k"]);

    public async Task DisposeAsync()
    {
        if (_pyHost is not null)
        {
            await _pyHost.DisposeAsync();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    public async Task<Socket> ConnectAsync(GatewayProtocol protocol)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, PyHost.Upstreams[protocol].Port);
        return socket;
    }
}

/// <summary>
/// The listeners' own rules, seen on the wire without a front server: limits, FastCGI's management records and
/// keep-alive, and what a peer that breaks its protocol gets.
/// </summary>
public sealed class RawGatewayTests(RawGatewayServer server, ITestOutputHelper output) : IClassFixture<RawGatewayServer>, IDisposable
{
    private readonly int _firstLine = server.PyHost.Process.LineCount;

    public void Dispose()
    {
        output.WriteLine($"pyhost output during this test:\n{server.PyHost.Process.OutputSince(_firstLine)}");
        GC.SuppressFinalize(this);
    }

    private static KeyValuePair<string, string>[] Get(string uri, params KeyValuePair<string, string>[] more) =>
        [new("REQUEST_METHOD", "GET"), new("REQUEST_URI", uri), new("SERVER_PROTOCOL", "HTTP/1.1"), new("REMOTE_ADDR", "192.0.2.7"), .. more];

    [Fact]
    public async Task UwsgiAnswersWithAnHttpStatusLineAndClosesAfterTheResponse()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.Uwsgi);
        await socket.SendAsync(Wire.Uwsgi(Get("/echo?x=1")));

        string response = Encoding.Latin1.GetString(await Wire.ReadToEndAsync(socket));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Contains("\"QUERY_STRING\": \"x=1\"", response);
        Assert.Contains("\"REMOTE_ADDR\": \"192.0.2.7\"", response);
    }

    [Theory]
    [InlineData("uwsgi", "HTTP/1.1 413 Content Too Large\r\n")]
    [InlineData("scgi", "Status: 413 Content Too Large\r\n")]
    public async Task ABodyOverTheLimitGets413(string protocol, string statusLine)
    {
        GatewayProtocol gateway = GatewayProtocols.Parse(protocol);
        byte[] body = new byte[4096];
        KeyValuePair<string, string>[] vars = [new("CONTENT_LENGTH", "4096"), new("REQUEST_METHOD", "POST"), new("REQUEST_URI", "/upload"), new("SCGI", "1")];
        using Socket socket = await server.ConnectAsync(gateway);
        await socket.SendAsync(gateway == GatewayProtocol.Uwsgi ? Wire.Uwsgi(vars) : Wire.Scgi(vars));
        await socket.SendAsync(body);

        string response = Encoding.Latin1.GetString(await Wire.ReadToEndAsync(socket));

        Assert.StartsWith(statusLine, response);
        Assert.Contains("larger than this server accepts", response);
    }

    [Fact]
    public async Task FastCgiGets413AndKeepsTheConnectionForTheNextRequest()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.FastCgi);
        await socket.SendAsync(Wire.FastCgiRequest(1, [new("REQUEST_METHOD", "POST"), new("REQUEST_URI", "/upload"), new("CONTENT_LENGTH", "4096")], new byte[4096], keepConnection: true));
        var first = await Wire.ReadFastCgiResponseAsync(socket, 1);
        await socket.SendAsync(Wire.FastCgiRequest(2, Get("/echo?second=1"), [], keepConnection: true));
        var second = await Wire.ReadFastCgiResponseAsync(socket, 2);

        Assert.StartsWith("Status: 413 ", first.Stdout);
        Assert.StartsWith("Status: 200 OK\r\n", second.Stdout);
        Assert.Contains("second=1", second.Stdout);
    }

    [Fact]
    public async Task FastCgiWithoutKeepConnClosesAfterEndRequest()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.FastCgi);
        await socket.SendAsync(Wire.FastCgiRequest(1, Get("/echo"), [], keepConnection: false));

        var response = await Wire.ReadFastCgiResponseAsync(socket, 1);
        byte[] rest = await Wire.ReadToEndAsync(socket);

        Assert.Equal(0, response.ProtocolStatus);
        Assert.Empty(rest);   // §5.1: the application closes the connection
    }

    [Fact]
    public async Task FastCgiAnswersGetValuesAndUnknownTypes()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.FastCgi);
        await socket.SendAsync(Wire.FastCgiRecord(9, 0, Wire.Pairs([new("FCGI_MPXS_CONNS", ""), new("FCGI_MAX_REQS", ""), new("NOT_A_VALUE", "")])));
        await socket.SendAsync(Wire.FastCgiRecord(42, 0, []));

        var (type1, content1) = await Wire.ReadRecordAsync(socket);
        var (type2, content2) = await Wire.ReadRecordAsync(socket);

        Assert.Equal(10, type1);   // FCGI_GET_VALUES_RESULT
        string values = Encoding.ASCII.GetString(content1);
        Assert.Contains("FCGI_MPXS_CONNS0", values);
        Assert.Contains("FCGI_MAX_REQS", values);
        Assert.DoesNotContain("NOT_A_VALUE", values);
        Assert.Equal(11, type2);   // FCGI_UNKNOWN_TYPE
        Assert.Equal(42, content2[0]);
    }

    [Fact]
    public async Task FastCgiAbortRequestStopsTheAppAndEndsTheRequest()
    {
        string tag = Guid.NewGuid().ToString("N");
        using Socket socket = await server.ConnectAsync(GatewayProtocol.FastCgi);
        await socket.SendAsync(Wire.FastCgiRequest(1, Get($"/close/endless?tag={tag}"), [], keepConnection: true));
        var (type, _) = await Wire.ReadRecordAsync(socket);
        Assert.Equal(6, type);   // the response has begun
        await socket.SendAsync(Wire.FastCgiRecord(2, 1, []));   // FCGI_ABORT_REQUEST

        bool closed = await Eventually.HoldsAsync(
            () => File.Exists(Path.Combine(server.Directory, "closed.log")) && File.ReadAllText(Path.Combine(server.Directory, "closed.log")).Contains(tag),
            TimeSpan.FromSeconds(15));
        Assert.True(closed, "The app's close() was not called after FCGI_ABORT_REQUEST.");
    }

    [Fact]
    public async Task FastCgiRefusesASecondRequestOnABusyConnection()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.FastCgi);
        await socket.SendAsync(Wire.FastCgiRequest(1, Get("/sleep?seconds=0.5"), [], keepConnection: true));
        await socket.SendAsync(Wire.FastCgiRequest(2, Get("/echo"), [], keepConnection: true));

        var refused = await Wire.ReadFastCgiResponseAsync(socket, 2);
        var first = await Wire.ReadFastCgiResponseAsync(socket, 1);

        Assert.Equal(1, refused.ProtocolStatus);   // FCGI_CANT_MPX_CONN
        Assert.StartsWith("Status: 200 OK", first.Stdout);
    }

    [Theory]
    [InlineData("uwsgi")]
    [InlineData("scgi")]
    [InlineData("fastcgi")]
    public async Task MalformedInputClosesTheConnectionAndIsLoggedWithThePeer(string protocol)
    {
        GatewayProtocol gateway = GatewayProtocols.Parse(protocol);
        byte[] garbage = gateway switch
        {
            GatewayProtocol.Uwsgi => [9, 4, 0, 0, 1, 2, 3, 4],                             // modifier1 9
            GatewayProtocol.Scgi => Encoding.ASCII.GetBytes("12x:CONTENT_LENGTH"),        // not a netstring
            _ => [2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],                      // FastCGI version 2
        };
        using Socket socket = await server.ConnectAsync(gateway);
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        await socket.SendAsync(garbage);

        byte[] answer = await Wire.ReadToEndAsync(socket);

        Assert.Empty(answer);
        await server.PyHost.Process.WaitForOutputAsync(new System.Text.RegularExpressions.Regex($@"WARN.*peer 127\.0\.0\.1:{port}: .*connection closed"), TimeSpan.FromSeconds(5), _firstLine);
    }

    [Fact]
    public async Task ARequestWithoutAMethodGets400()
    {
        using Socket socket = await server.ConnectAsync(GatewayProtocol.Uwsgi);
        await socket.SendAsync(Wire.Uwsgi([new("REQUEST_URI", "/echo")]));

        string response = Encoding.Latin1.GetString(await Wire.ReadToEndAsync(socket));

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.Contains("REQUEST_METHOD is missing", response);
    }
}

/// <summary>The front server's side of the protocols, written by hand from the specifications.</summary>
internal static class Wire
{
    public static byte[] Uwsgi(IEnumerable<KeyValuePair<string, string>> vars)
    {
        var block = new List<byte>();
        foreach (var (name, value) in vars)
        {
            foreach (string text in new[] { name, value })
            {
                block.Add((byte)(text.Length & 0xFF));
                block.Add((byte)(text.Length >> 8));
                block.AddRange(Encoding.Latin1.GetBytes(text));
            }
        }
        return [0, (byte)(block.Count & 0xFF), (byte)(block.Count >> 8), 0, .. block];
    }

    public static byte[] Scgi(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var block = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            block.Append(name).Append('\0').Append(value).Append('\0');
        }
        return Encoding.Latin1.GetBytes($"{block.Length}:{block},");
    }

    public static byte[] Pairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var bytes = new List<byte>();
        foreach (var (name, value) in pairs)
        {
            foreach (int length in new[] { name.Length, value.Length })
            {
                if (length < 128)
                {
                    bytes.Add((byte)length);
                }
                else
                {
                    bytes.AddRange([(byte)((length >> 24) | 0x80), (byte)(length >> 16), (byte)(length >> 8), (byte)length]);
                }
            }
            bytes.AddRange(Encoding.Latin1.GetBytes(name + value));
        }
        return [.. bytes];
    }

    public static byte[] FastCgiRecord(byte type, ushort requestId, byte[] content)
    {
        byte[] record = new byte[8 + content.Length];
        record[0] = 1;
        record[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(2), requestId);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(4), (ushort)content.Length);
        content.CopyTo(record, 8);
        return record;
    }

    /// <summary>BEGIN_REQUEST (responder), the params, the body in 16 KiB records, the empty STDIN.</summary>
    public static byte[] FastCgiRequest(ushort id, IEnumerable<KeyValuePair<string, string>> parameters, byte[] body, bool keepConnection)
    {
        var bytes = new List<byte>();
        bytes.AddRange(FastCgiRecord(1, id, [0, 1, (byte)(keepConnection ? 1 : 0), 0, 0, 0, 0, 0]));
        bytes.AddRange(FastCgiRecord(4, id, Pairs(parameters)));
        bytes.AddRange(FastCgiRecord(4, id, []));
        for (int offset = 0; offset < body.Length; offset += 16384)
        {
            bytes.AddRange(FastCgiRecord(5, id, body[offset..Math.Min(body.Length, offset + 16384)]));
        }
        bytes.AddRange(FastCgiRecord(5, id, []));
        return [.. bytes];
    }

    public static async Task<(byte Type, byte[] Content)> ReadRecordAsync(Socket socket)
    {
        byte[] header = await ReadExactlyAsync(socket, 8);
        int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
        byte[] content = await ReadExactlyAsync(socket, length + header[6]);
        return (header[1], content[..length]);
    }

    /// <summary>The STDOUT of one request up to its END_REQUEST; records of other requests read meanwhile are kept
    /// for when they are asked for.</summary>
    public static async Task<(string Stdout, int ProtocolStatus)> ReadFastCgiResponseAsync(Socket socket, ushort id)
    {
        List<(ushort Id, byte Type, byte[] Content)> pending = Pending.GetOrCreateValue(socket);
        var stdout = new StringBuilder();
        while (true)
        {
            (ushort Id, byte Type, byte[] Content) record;
            int index = pending.FindIndex(r => r.Id == id);
            if (index >= 0)
            {
                record = pending[index];
                pending.RemoveAt(index);
            }
            else
            {
                byte[] header = await ReadExactlyAsync(socket, 8);
                int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
                byte[] content = (await ReadExactlyAsync(socket, length + header[6]))[..length];
                record = (BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)), header[1], content);
                if (record.Id != id)
                {
                    pending.Add(record);
                    continue;
                }
            }
            if (record.Type == 6)
            {
                stdout.Append(Encoding.Latin1.GetString(record.Content));
            }
            else if (record.Type == 3)
            {
                return (stdout.ToString(), record.Content[4]);
            }
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Socket, List<(ushort, byte, byte[])>> Pending = [];

    public static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var all = new List<byte>();
        byte[] buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                all.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return [.. all];
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int offset = 0;
        while (offset < count)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"the connection ended {count - offset} bytes into a record");
            }
            offset += read;
        }
        return buffer;
    }
}
