using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PyHost.AdminTests.Infrastructure;

/// <summary>An answer of the admin API: status, headers, body, and the body as JSON when it is.</summary>
public sealed record ApiAnswer(int Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The first error's path and message, as every 4xx/5xx of the API carries them.</summary>
    public (string Path, string Message) FirstError
    {
        get
        {
            JsonElement error = Json.GetProperty("errors")[0];
            return (error.GetProperty("path").GetString()!, error.GetProperty("message").GetString()!);
        }
    }

    public override string ToString() => $"HTTP {Status}\n{Body}";
}

/// <summary>A plain HTTP client for the admin API, over its unix socket or TCP, written here rather than taken from the
/// product: the tests check the wire contract, not the product's own client.</summary>
public sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;

    private AdminApi(HttpClient http) => _http = http;

    public static AdminApi OverUnixSocket(string path) => new(new HttpClient(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellation) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri("http://pyhost/"), Timeout = TimeSpan.FromSeconds(60) });

    public static AdminApi OverTcp(string url, string? token)
    {
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return new AdminApi(http);
    }

    public Task<ApiAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    /// <summary>A GET that must answer 200, whatever the content type.</summary>
    public async Task<ApiAnswer> GetJsonlessAsync(string path)
    {
        ApiAnswer answer = await GetAsync(path);
        Assert.True(answer.Status == 200, $"GET {path}: {answer}");
        return answer;
    }

    public async Task<ApiAnswer> GetJsonAsync(string path)
    {
        ApiAnswer answer = await GetAsync(path);
        Assert.True(answer.Status == 200, $"GET {path}: {answer}");
        return answer;
    }

    public async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }
        using HttpResponseMessage response = await _http.SendAsync(request);
        return new ApiAnswer((int)response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _http.Dispose();
}
