using System.Net.Sockets;
using System.Text.Json;

namespace PyHost.IntegrationTests.Proxy;

/// <summary>GET on the admin API of a server over its control socket (<c>site.control.sock</c> beside
/// <c>--pid site.pid</c>): a plain HTTP client, written here (the tests check the wire contract, not the product's client).</summary>
public sealed class AdminSocket(string path) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancel) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri("http://pyhost/"), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The body of a GET that must answer 200.</summary>
    public async Task<string> GetTextAsync(string target)
    {
        using HttpResponseMessage response = await _http.GetAsync(target.TrimStart('/'));
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {target}: {(int)response.StatusCode}\n{body}");
        }
        return body;
    }

    public async Task<JsonElement> StatusAsync() => JsonDocument.Parse(await GetTextAsync("/status")).RootElement;

    public void Dispose() => _http.Dispose();
}
