using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using Xunit;
using Xunit.Abstractions;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>Debian's nginx in front of PyHost: uwsgi_pass, scgi_pass, fastcgi_pass.</summary>
public sealed class NginxGatewayTests(NginxGateways front, ITestOutputHelper output) : GatewayTestBase<NginxGateways>(front, output)
{
    /// <summary>fastcgi_keep_conn on and an upstream keepalive: PyHost keeps the connection for the next request.</summary>
    [Fact]
    public async Task KeepAliveUpstreamReusesOneConnection()
    {
        int port = Front.PyHost.KeepAlivePort!.Value;
        for (int i = 0; i < 5; i++)
        {
            var environ = await GatewayScenarios.EnvironAsync(Front, new HttpRequestMessage(HttpMethod.Get, Front.Url(GatewayProtocol.FastCgi, $"/keepalive/echo?i={i}")));
            Assert.Equal($"i={i}", environ["QUERY_STRING"].GetString());
        }

        var sockets = TcpTable.ByLocalPort(port);
        Assert.True(sockets.Count(s => s.State == TcpTable.Established) == 1 && !sockets.Any(s => s.State == TcpTable.TimeWait),
            $"After 5 requests, PyHost's side of the keep-alive listener has: {string.Join(", ", sockets.Select(s => s.State))} "
            + "(want one open connection, none closed)");
    }

    /// <summary>A 256 MiB upload: nginx sends it from its temporary file, PyHost buffers it on disk, not in memory.</summary>
    [Fact]
    public async Task LargeUploadIsBufferedInBoundedMemory()
    {
        const long size = 256L * 1024 * 1024;
        long before = Posix.StatusKilobytes(Front.PyHost.Process.Id, "VmHWM") ?? 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var content = new StreamContent(new RandomStream(size, hash));
        content.Headers.ContentLength = size;
        using HttpResponseMessage response = await Front.Client.PostAsync(Front.Url(GatewayProtocol.Uwsgi, "/upload"), content);
        string text = await response.Content.ReadAsStringAsync();
        long after = Posix.StatusKilobytes(Front.PyHost.Process.Id, "VmHWM") ?? 0;

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var report = System.Text.Json.JsonDocument.Parse(text).RootElement;
        Assert.Equal(size, report.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(hash.GetHashAndReset()), report.GetProperty("sha256").GetString());
        Output.WriteLine($"PyHost's peak RSS: {before / 1024} MB before, {after / 1024} MB after a {size >> 20} MiB upload");
        Assert.True(after - before < 128 * 1024, $"PyHost's peak RSS grew by {(after - before) / 1024} MB during a {size >> 20} MiB upload: it held the body in memory.");
    }

    /// <summary>Random bytes of a given length, hashed as they are read.</summary>
    private sealed class RandomStream(long length, IncrementalHash hash) : Stream
    {
        private readonly Random _random = new(256);
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            _random.NextBytes(buffer.AsSpan(offset, n));
            hash.AppendData(buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Debian's Apache httpd in front of PyHost: mod_proxy_uwsgi, mod_proxy_scgi, mod_proxy_fcgi.</summary>
public sealed class ApacheGatewayTests(ApacheGateways front, ITestOutputHelper output) : GatewayTestBase<ApacheGateways>(front, output);

/// <summary>Debian's lighttpd in front of PyHost: mod_fastcgi and mod_scgi.</summary>
public sealed class LighttpdGatewayTests(LighttpdGateways front, ITestOutputHelper output) : GatewayTestBase<LighttpdGateways>(front, output);

/// <summary>A test class served by one front server and pyhost, with the scenarios every front server goes through;
/// both servers' output during each test goes to the test's output, so a failure comes with their side of the story.</summary>
public abstract class GatewayTestBase<TFixture> : IClassFixture<TFixture>, IDisposable where TFixture : GatewayFixture, IServesGatewayProtocols
{
    private readonly int _firstLine;

    protected GatewayTestBase(TFixture front, ITestOutputHelper output)
    {
        Front = front;
        Output = output;
        _firstLine = front.PyHost.Process.LineCount;
    }

    protected TFixture Front { get; }

    protected ITestOutputHelper Output { get; }

    /// <summary>The protocols the front server speaks to PyHost, by name.</summary>
    public static TheoryData<string> Protocols => new(TFixture.Served.Select(protocol => protocol.Scheme()));

    // The scenarios every front server goes through, once per protocol.
    [Theory, MemberData(nameof(Protocols))]
    public Task GetWithQuery(string protocol) => GatewayScenarios.GetWithQueryAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task NonAsciiPath(string protocol) => GatewayScenarios.NonAsciiPathAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task MountedApp(string protocol) => GatewayScenarios.MountedAppAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task UnixSocket(string protocol) => GatewayScenarios.MountedAppAsync(Front, GatewayProtocols.Parse(protocol), "/unix");

    [Theory, MemberData(nameof(Protocols))]
    public Task Https(string protocol) => GatewayScenarios.HttpsAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task Upload(string protocol) => GatewayScenarios.UploadAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task Download(string protocol) => GatewayScenarios.DownloadAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task StreamedResponse(string protocol) => GatewayScenarios.StreamedResponseAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task ClientDisconnect(string protocol) => GatewayScenarios.ClientDisconnectAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task AppError(string protocol) => GatewayScenarios.AppErrorAsync(Front, GatewayProtocols.Parse(protocol));

    [Theory, MemberData(nameof(Protocols))]
    public Task WorkerDeath(string protocol) => GatewayScenarios.WorkerDeathAsync(Front, GatewayProtocols.Parse(protocol));

    public void Dispose()
    {
        Output.WriteLine($"pyhost output during this test:\n{Front.PyHost.Process.OutputSince(_firstLine)}");
        GC.SuppressFinalize(this);
    }
}

/// <summary>The kernel's table of TCP sockets (/proc/net/tcp and tcp6), to count a listener's connections.</summary>
public static class TcpTable
{
    public const string Established = "01";
    public const string TimeWait = "06";

    public static IReadOnlyList<(int RemotePort, string State)> ByLocalPort(int port)
    {
        var found = new List<(int, string)>();
        foreach (string file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (string line in File.ReadLines(file).Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int local = int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                int remote = int.Parse(fields[2][(fields[2].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (local == port && fields[3] != "0A")   // 0A: the listening socket itself
                {
                    found.Add((remote, fields[3]));
                }
            }
        }
        return found;
    }
}
