using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// A stand-in for Mongrel2 (apps/mongrel2_peer.py, python3-zmq): Debian does not package Mongrel2, so the peer is
/// written from its manual. It binds send_spec and recv_spec as Mongrel2 does and is driven line by line.
/// </summary>
public sealed class Mongrel2Peer : IDisposable
{
    private readonly Process _process;

    public Mongrel2Peer(string sendSpec, string recvSpec)
    {
        var start = new ProcessStartInfo(Repository.Python)
        {
            ArgumentList = { Path.Combine(Repository.AppsDirectory, "mongrel2_peer.py"), sendSpec, recvSpec },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start)!;
        string? ready = ReadLine(TimeSpan.FromSeconds(10));
        if (ready != "ready")
        {
            throw new InvalidOperationException($"the Mongrel2 peer did not start: {ready} {_process.StandardError.ReadToEnd()}");
        }
    }

    public void Send(long id, string method, string uri, byte[]? body = null, string? extraHeadersJson = null) =>
        Command($"send {id} {method} {uri} {(body is { Length: > 0 } ? Convert.ToBase64String(body) : "-")}{(extraHeadersJson is null ? "" : " " + extraHeadersJson)}");

    public void Disconnect(long id) => Command($"disconnect {id}");

    public void SendRaw(byte[] message) => Command($"raw {Convert.ToBase64String(message)}");

    /// <summary>The next message for connection <paramref name="id"/>: bytes for the client, an empty array for
    /// "close the connection", or null when none came in time.</summary>
    public byte[]? Receive(long id, TimeSpan timeout)
    {
        _process.StandardInput.WriteLine($"recv {id} {(int)timeout.TotalMilliseconds}");
        _process.StandardInput.Flush();
        string line = ReadLine(timeout + TimeSpan.FromSeconds(5)) ?? throw new InvalidOperationException("the Mongrel2 peer stopped answering");
        string[] words = line.Split(' ');
        return words[0] switch
        {
            "frame" => Convert.FromBase64String(words[2]),
            "close" => [],
            _ => null,
        };
    }

    /// <summary>Frames until the connection is closed or the response's Content-Length is complete.</summary>
    public (string Head, byte[] Body, bool Closed) ReadResponse(long id, TimeSpan? timeout = null)
    {
        var bytes = new List<byte>();
        bool closed = false;
        while (true)
        {
            byte[]? frame = Receive(id, timeout ?? TimeSpan.FromSeconds(20));
            if (frame is null)
            {
                throw new TimeoutException($"no complete response for connection {id}; so far: {Encoding.Latin1.GetString([.. bytes])}");
            }
            if (frame.Length == 0)
            {
                closed = true;
                break;
            }
            bytes.AddRange(frame);
            string text = Encoding.Latin1.GetString([.. bytes]);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0 && ContentLength(text[..end]) is { } length && bytes.Count - end - 4 >= length)
            {
                break;
            }
        }
        string all = Encoding.Latin1.GetString([.. bytes]);
        int headEnd = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (all[..headEnd], [.. bytes.Skip(headEnd + 4)], closed);
    }

    private static long? ContentLength(string head) =>
        head.Split("\r\n").Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(line => (long?)long.Parse(line["Content-Length:".Length..].Trim())).FirstOrDefault();

    private void Command(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
        string? answer = ReadLine(TimeSpan.FromSeconds(10));
        if (answer is null || !answer.StartsWith("sent", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the Mongrel2 peer answered '{answer}' to '{line[..Math.Min(line.Length, 80)]}'");
        }
    }

    private string? ReadLine(TimeSpan timeout)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        return line.Wait(timeout) ? line.Result : null;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
    }
}

/// <summary>A pyhost serving as the Mongrel2 handler of a <see cref="Mongrel2Peer"/>, over tcp://.</summary>
public sealed class Mongrel2Site : IAsyncLifetime
{
    private PyHostServer? _pyHost;
    private Mongrel2Peer? _peer;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-mongrel2-").FullName;

    public PyHostServer PyHost => _pyHost ?? throw new InvalidOperationException("not started");

    public Mongrel2Peer Peer => _peer ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        string sendSpec = $"tcp://127.0.0.1:{PyHostServer.FreePort(IPAddress.Loopback)}";
        string recvSpec = $"tcp://127.0.0.1:{PyHostServer.FreePort(IPAddress.Loopback)}";
        _peer = new Mongrel2Peer(sendSpec, recvSpec);
        _pyHost = await PyHostServer.StartAsync("gateway:app",
            ["--chdir", Repository.AppsDirectory, "-w", "2", "-e", $"PYHOST_TEST_DIR={Directory}", "--mongrel2", $"{sendSpec},{recvSpec}"]);
        // PUB/SUB: what PyHost publishes before its connection to the peer is up is dropped, as in ZeroMQ.
        await Task.Delay(300);
    }

    public async Task DisposeAsync()
    {
        if (_pyHost is not null)
        {
            await _pyHost.DisposeAsync();
        }
        _peer?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>PyHost as a Mongrel2 handler: requests into the same dispatch core, responses addressed by connection id.</summary>
public sealed class Mongrel2Tests(Mongrel2Site site, ITestOutputHelper output) : IClassFixture<Mongrel2Site>, IDisposable
{
    private static long _nextId = 100;
    private readonly int _firstLine = site.PyHost.Process.LineCount;

    public void Dispose()
    {
        output.WriteLine($"pyhost output during this test:\n{site.PyHost.Process.OutputSince(_firstLine)}");
        GC.SuppressFinalize(this);
    }

    private static long NextId() => Interlocked.Increment(ref _nextId);

    [Fact]
    public void AGetReachesTheAppAndTheResponseGoesToItsConnection()
    {
        long id = NextId();
        site.Peer.Send(id, "GET", "/echo/w%C3%B6rld?x=1", extraHeadersJson: "{\"x-custom\":\"yes\"}");

        var (head, body, _) = site.Peer.ReadResponse(id);
        var environ = JsonDocument.Parse(body).RootElement.GetProperty("environ");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", head);
        Assert.Equal("GET", environ.GetProperty("REQUEST_METHOD").GetString());
        Assert.Equal("/echo/w\u00C3\u00B6rld", environ.GetProperty("PATH_INFO").GetString());
        Assert.Equal("x=1", environ.GetProperty("QUERY_STRING").GetString());
        Assert.Equal("yes", environ.GetProperty("HTTP_X_CUSTOM").GetString());
        Assert.Equal("mongrel2.test", environ.GetProperty("SERVER_NAME").GetString());
        Assert.Equal("http", environ.GetProperty("wsgi.url_scheme").GetString());
    }

    [Fact]
    public void TheBodyMongrel2SendsIsTheAppsWsgiInput()
    {
        long id = NextId();
        byte[] upload = RandomNumberGenerator.GetBytes(300_000);
        site.Peer.Send(id, "POST", "/upload", upload);

        var (_, body, _) = site.Peer.ReadResponse(id);
        var report = JsonDocument.Parse(body).RootElement;

        Assert.Equal(upload.Length, report.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(upload)), report.GetProperty("sha256").GetString());
    }

    [Fact]
    public void HttpsAtMongrel2BecomesTheUrlScheme()
    {
        long id = NextId();
        site.Peer.Send(id, "GET", "/echo", extraHeadersJson: "{\"URL_SCHEME\":\"https\"}");

        var (_, body, _) = site.Peer.ReadResponse(id);

        Assert.Equal("https", JsonDocument.Parse(body).RootElement.GetProperty("environ").GetProperty("wsgi.url_scheme").GetString());
    }

    [Fact]
    public void AResponseWithoutALengthComesInPiecesAndThenClosesTheClientsConnection()
    {
        long id = NextId();
        site.Peer.Send(id, "GET", "/stream");

        var frames = new List<string>();
        byte[]? frame;
        while ((frame = site.Peer.Receive(id, TimeSpan.FromSeconds(10))) is { Length: > 0 })
        {
            frames.Add(Encoding.ASCII.GetString(frame));
        }

        Assert.NotNull(frame);   // the close message, not a timeout
        Assert.Contains("Connection: close\r\n", frames[0]);
        Assert.Equal("first chunk\nsecond chunk\nthird chunk\n", string.Concat(frames)[(string.Concat(frames).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.True(frames.Count >= 3, $"the chunks came in {frames.Count} messages: {string.Join(" | ", frames)}");
    }

    [Fact]
    public async Task ADisconnectMessageStopsTheRequestAndTheAppsCloseRuns()
    {
        long id = NextId();
        string tag = Guid.NewGuid().ToString("N");
        site.Peer.Send(id, "GET", $"/close/endless?tag={tag}");
        Assert.NotNull(site.Peer.Receive(id, TimeSpan.FromSeconds(10)));

        site.Peer.Disconnect(id);

        string log = Path.Combine(site.Directory, "closed.log");
        Assert.True(await Eventually.HoldsAsync(() => File.Exists(log) && File.ReadAllText(log).Contains(tag), TimeSpan.FromSeconds(15)),
            "The app's close() was not called after Mongrel2's disconnect message.");
    }

    [Fact]
    public void AWorkersDeathGivesTheClientPyHostsBadGatewayPage()
    {
        long id = NextId();
        site.Peer.Send(id, "GET", "/crash");

        var (head, body, _) = site.Peer.ReadResponse(id);

        Assert.StartsWith("HTTP/1.1 502 Bad Gateway\r\n", head);
        Assert.Contains("The application worker died", Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task AMalformedMessageIsLoggedAndTheNextRequestIsServed()
    {
        site.Peer.SendRaw(Encoding.ASCII.GetBytes("not-a-uuid! 1 / 3:abc,0:,"));
        await site.PyHost.Process.WaitForOutputAsync(new System.Text.RegularExpressions.Regex(@"WARN.*Mongrel2 peer .*connection closed|WARN.*Mongrel2"), TimeSpan.FromSeconds(5), _firstLine);

        long id = NextId();
        site.Peer.Send(id, "GET", "/echo");
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", site.Peer.ReadResponse(id).Head);
    }
}
