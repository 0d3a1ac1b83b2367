using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;
using PyHost.IntegrationTests.Infrastructure;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>
/// What every front server and protocol pair must do, whatever its configuration syntax: each method is one test,
/// run by the test class of each front server for each protocol it speaks.
/// </summary>
public static class GatewayScenarios
{
    private const int TenMebibytes = 10 * 1024 * 1024;

    public static async Task GetWithQueryAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, front.Url(protocol, "/echo?x=1&y=%20"));
        request.Headers.Add("X-Test", "interop");
        var environ = await EnvironAsync(front, request);

        Assert.Equal("GET", environ["REQUEST_METHOD"].GetString());
        Assert.Equal("", environ["SCRIPT_NAME"].GetString());
        Assert.Equal("/echo", environ["PATH_INFO"].GetString());
        Assert.Equal("x=1&y=%20", environ["QUERY_STRING"].GetString());
        Assert.Equal("/echo?x=1&y=%20", environ["REQUEST_URI"].GetString());
        Assert.Equal("interop", environ["HTTP_X_TEST"].GetString());
        Assert.Equal("http", environ["wsgi.url_scheme"].GetString());
        Assert.Equal("127.0.0.1", environ["REMOTE_ADDR"].GetString());
        Assert.Equal(front.FrontPorts[protocol].ToString(CultureInfo.InvariantCulture), environ["SERVER_PORT"].GetString());
    }

    public static async Task NonAsciiPathAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        var environ = await EnvironAsync(front, new HttpRequestMessage(HttpMethod.Get, front.Url(protocol, "/echo/w%C3%B6rld%20x")));

        // PEP 3333: the path's bytes, percent-decoded, as latin-1 code points, as the HTTP front gives them.
        Assert.Equal("/echo/w\u00C3\u00B6rld x", environ["PATH_INFO"].GetString());
        Assert.Equal("/echo/w%C3%B6rld%20x", environ["REQUEST_URI"].GetString());
    }

    public static async Task MountedAppAsync(GatewayFixture front, GatewayProtocol protocol, string mountPoint = "/app")
    {
        var environ = await EnvironAsync(front, new HttpRequestMessage(HttpMethod.Get, front.Url(protocol, mountPoint + "/echo/x?q=1")));

        Assert.Equal(mountPoint, environ["SCRIPT_NAME"].GetString());
        Assert.Equal("/echo/x", environ["PATH_INFO"].GetString());
        Assert.Equal("q=1", environ["QUERY_STRING"].GetString());
    }

    public static async Task HttpsAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        var environ = await EnvironAsync(front, new HttpRequestMessage(HttpMethod.Get, front.TlsUrl(protocol, "/echo")));

        Assert.Equal("https", environ["wsgi.url_scheme"].GetString());
        Assert.Equal("/" + protocol.Scheme(), environ["SCRIPT_NAME"].GetString());
        Assert.Equal(front.TlsPort.ToString(CultureInfo.InvariantCulture), environ["SERVER_PORT"].GetString());
    }

    public static async Task UploadAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        byte[] body = new byte[TenMebibytes];
        new Random(10).NextBytes(body);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/octet-stream");
        using HttpResponseMessage response = await front.Client.PostAsync(front.Url(protocol, "/upload"), content);
        JsonElement report = await JsonAsync(front, response);

        Assert.Equal(body.Length, report.GetProperty("length").GetInt64());
        Assert.Equal(body.Length, report.GetProperty("content_length").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), report.GetProperty("sha256").GetString());
        long workerPeakKib = report.GetProperty("maxrss_kib").GetInt64();
        Assert.True(workerPeakKib < 100 * 1024, $"The worker peaked at {workerPeakKib / 1024} MB: the body was not read in pieces.");
    }

    public static async Task DownloadAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        using HttpResponseMessage response = await front.Client.GetAsync(front.Url(protocol, $"/bytes?n={TenMebibytes}"));
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        await AssertStatusAsync(front, response, HttpStatusCode.OK);
        Assert.Equal(TenMebibytes, body.Length);
        int wrong = Enumerable.Range(0, body.Length).FirstOrDefault(i => body[i] != (byte)(i % 65511 % 251), -1);
        Assert.True(wrong < 0, $"byte {wrong} of the response is {body[Math.Max(wrong, 0)]}");
    }

    /// <summary>Three chunks 300 ms apart through a mount without response buffering: the first arrives alone.</summary>
    public static async Task StreamedResponseAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, front.Url(protocol, "/live/stream"));
        using HttpResponseMessage response = await front.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await AssertStatusAsync(front, response, HttpStatusCode.OK);
        await using Stream stream = await response.Content.ReadAsStreamAsync();
        var received = new StringBuilder();
        var arrivals = new List<(TimeSpan At, string Text)>();
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            string text = Encoding.ASCII.GetString(buffer, 0, read);
            received.Append(text);
            arrivals.Add((clock.Elapsed, text));
        }

        Assert.Equal("first chunk\nsecond chunk\nthird chunk\n", received.ToString());
        TimeSpan first = arrivals.First(a => a.Text.Contains("first", StringComparison.Ordinal)).At;
        TimeSpan third = arrivals.First(a => a.Text.Contains("third", StringComparison.Ordinal)).At;
        Assert.True(third - first > TimeSpan.FromMilliseconds(400),
            $"The chunks arrived together ({string.Join(", ", arrivals.Select(a => $"{a.At.TotalMilliseconds:F0} ms"))}): the response was buffered.");
    }

    /// <summary>A client that leaves mid-response: the front drops its connection to PyHost, and the app's close() runs.</summary>
    public static async Task ClientDisconnectAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        string tag = $"{protocol.Scheme()}-{Guid.NewGuid():N}";
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(IPAddress.Loopback, front.FrontPorts[protocol]);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /live/close/endless?tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
            var seen = new StringBuilder();
            byte[] buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (!seen.ToString().Contains("tick 2", StringComparison.Ordinal))
            {
                int read = await socket.ReceiveAsync(buffer, timeout.Token);
                Assert.True(read > 0, $"The front closed the connection after:\n{seen}");
                seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        string log = Path.Combine(front.TestDirectory, "closed.log");

        bool closed = await Eventually.HoldsAsync(() => File.Exists(log) && File.ReadAllText(log).Contains(tag, StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.True(closed, $"The app's close() was not called after the client left ({front.Name}, {protocol}).\n{front.PyHost.Process.Describe()}");
    }

    public static async Task AppErrorAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        using HttpResponseMessage response = await front.Client.GetAsync(front.Url(protocol, "/error"));
        string body = await response.Content.ReadAsStringAsync();

        await AssertStatusAsync(front, response, HttpStatusCode.InternalServerError);
        Assert.Contains("The application raised an error", body, StringComparison.Ordinal);
    }

    /// <summary>A worker that dies mid-request: the front server passes on PyHost's 502 page, not an error of its own.</summary>
    public static async Task WorkerDeathAsync(GatewayFixture front, GatewayProtocol protocol)
    {
        using HttpResponseMessage response = await front.Client.GetAsync(front.Url(protocol, "/crash"));
        string body = await response.Content.ReadAsStringAsync();

        await AssertStatusAsync(front, response, HttpStatusCode.BadGateway);
        Assert.Contains("The application worker died while handling this request.", body, StringComparison.Ordinal);
        Assert.Contains("<address>pyhost</address>", body, StringComparison.Ordinal);
    }

    public static async Task<Dictionary<string, JsonElement>> EnvironAsync(GatewayFixture front, HttpRequestMessage request)
    {
        using (request)
        {
            using HttpResponseMessage response = await front.Client.SendAsync(request);
            JsonElement json = await JsonAsync(front, response);
            return json.GetProperty("environ").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        }
    }

    private static async Task<JsonElement> JsonAsync(GatewayFixture front, HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}\n{front.Front.Describe()}\n{front.PyHost.Process.Describe()}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The status, else a failure with the body and both servers' output (read only then: reading it
    /// first would wait for the whole body).</summary>
    private static async Task AssertStatusAsync(GatewayFixture front, HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"Expected {(int)expected}, got " + await DescribeAsync(front, response));
        }
    }

    private static async Task<string> DescribeAsync(GatewayFixture front, HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        return $"{(int)response.StatusCode} {response.ReasonPhrase}\n{body[..Math.Min(body.Length, 2000)]}\n{front.Front.Describe()}\n{front.PyHost.Process.Describe()}";
    }
}
