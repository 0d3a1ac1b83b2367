using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PyHost.Admin.Api;

namespace PyHost.Admin.Client;

/// <summary>An answer of the admin API: the value on success, else the status and the errors it gave.</summary>
public sealed record AdminReply<T>(int Status, T? Value, ErrorAnswer? Error)
{
    public bool Succeeded => Status is >= 200 and < 300 && Value is not null;

    public string ErrorText => Error is { Errors.Count: > 0 } errors
        ? string.Join("\n", errors.Errors.Select(e => e.Path is "" or "$" ? e.Message : $"{e.Path}: {e.Message}"))
        : $"HTTP {Status}";
}

/// <summary>
/// Talks to a running server's admin API: over its unix socket (the control socket), or over TCP with the bearer
/// token. Used by <c>pyhost reload</c>, <c>pyhost scale</c> and <c>pyhost top</c>.
/// </summary>
public sealed class AdminClient : IDisposable
{
    private readonly HttpClient _http;

    private AdminClient(HttpClient http, string where)
    {
        _http = http;
        Where = where;
    }

    /// <summary>The socket path or URL, for messages.</summary>
    public string Where { get; }

    public static AdminClient ForUnixSocket(string path, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new AdminClient(new HttpClient(handler) { BaseAddress = new Uri("http://pyhost/"), Timeout = timeout }, path);
    }

    public static AdminClient ForUrl(Uri baseUrl, string? token, TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = baseUrl, Timeout = timeout };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return new AdminClient(http, baseUrl.ToString());
    }

    public Task<AdminReply<StatusDocument>> StatusAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, "status", null, AdminJson.Api.StatusDocument, cancellation);

    /// <summary>One app's reload (fresh code), or with no app the server's (its configuration read again).</summary>
    public Task<AdminReply<ReloadAnswer>> ReloadAsync(string? app, string reason, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, app is null ? "reload" : $"apps/{Uri.EscapeDataString(app)}/reload",
            JsonSerializer.Serialize(new ReloadRequest { Reason = reason }, AdminJson.Api.ReloadRequest), AdminJson.Api.ReloadAnswer, cancellation);

    /// <summary>Scales an app; with no app the server's only one.</summary>
    public Task<AdminReply<ScaleAnswer>> ScaleAsync(string? app, int workers, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, app is null ? "scale" : $"apps/{Uri.EscapeDataString(app)}/scale",
            JsonSerializer.Serialize(new ScaleRequest { Workers = workers }, AdminJson.Api.ScaleRequest), AdminJson.Api.ScaleAnswer, cancellation);

    /// <summary>Throws HttpRequestException when the server cannot be reached at all.</summary>
    private async Task<AdminReply<T>> SendAsync<T>(HttpMethod method, string path, string? json, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using HttpResponseMessage response = await _http.SendAsync(request, cancellation);
        string body = await response.Content.ReadAsStringAsync(cancellation);
        int status = (int)response.StatusCode;
        try
        {
            if (response.IsSuccessStatusCode)
            {
                return new AdminReply<T>(status, JsonSerializer.Deserialize(body, type), null);
            }
            // A reload that failed answers ReloadAnswer with its message; other failures answer ErrorAnswer.
            if (typeof(T) == typeof(ReloadAnswer) && body.Contains("\"message\"", StringComparison.Ordinal))
            {
                return new AdminReply<T>(status, JsonSerializer.Deserialize(body, type), null);
            }
            return new AdminReply<T>(status, default, JsonSerializer.Deserialize(body, AdminJson.Api.ErrorAnswer));
        }
        catch (JsonException)
        {
            return new AdminReply<T>(status, default, new ErrorAnswer([new ApiError("", $"HTTP {status}: {body.Trim()}")]));
        }
    }

    public void Dispose() => _http.Dispose();
}
