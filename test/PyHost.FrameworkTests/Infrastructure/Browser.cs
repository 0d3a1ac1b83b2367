using System.Diagnostics;
using System.Net;
using System.Text;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>A file field of a multipart form.</summary>
public sealed record FormFile(string FieldName, string FileName, string ContentType, byte[] Content);

/// <summary>A response read chunk by chunk, each chunk with the time it arrived after the request was sent.</summary>
public sealed record StreamedResponse(RawHttpResponseHead Head, IReadOnlyList<(byte[] Data, TimeSpan ArrivedAfter)> Chunks)
{
    public string BodyText => string.Concat(Chunks.Select(chunk => Encoding.UTF8.GetString(chunk.Data)));
}

/// <summary>
/// What a person's browser does to a site, minus the rendering: one connection per request, a cookie jar, forms
/// (urlencoded and multipart), JSON, redirects followed when asked. Every exchange goes into <see cref="Transcript"/>,
/// normalised, so the same scenario run against pyhost and against gunicorn can be compared exchange by exchange.
/// </summary>
public sealed class Browser(WebServer server, ResponseNormalizer normalizer)
{
    private const string Boundary = "----PyHostFrameworkTestsBoundary";

    private readonly Dictionary<string, string> cookies = new(StringComparer.Ordinal);
    private readonly List<Exchange> transcript = [];

    public WebServer Server => server;

    public IReadOnlyList<Exchange> Transcript => transcript;

    public string? Cookie(string name) => cookies.GetValueOrDefault(name);

    public Task<RawHttpResponse> GetAsync(string target, params string[] headers) => SendAsync("GET", target, headers, []);

    public Task<RawHttpResponse> PostFormAsync(string target, IEnumerable<KeyValuePair<string, string>> fields, params string[] headers)
    {
        string body = string.Join('&', fields.Select(field => $"{WebUtility.UrlEncode(field.Key)}={WebUtility.UrlEncode(field.Value)}"));
        return SendAsync("POST", target, [.. headers, "Content-Type: application/x-www-form-urlencoded"], Encoding.UTF8.GetBytes(body));
    }

    public Task<RawHttpResponse> PostMultipartAsync(string target, IEnumerable<KeyValuePair<string, string>> fields, FormFile file, params string[] headers)
    {
        var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        foreach (var (name, value) in fields)
        {
            Write($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        }
        Write($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{file.FieldName}\"; filename=\"{file.FileName}\"\r\n");
        Write($"Content-Type: {file.ContentType}\r\n\r\n");
        body.Write(file.Content);
        Write($"\r\n--{Boundary}--\r\n");
        return SendAsync("POST", target, [.. headers, $"Content-Type: multipart/form-data; boundary={Boundary}"], body.ToArray());
    }

    public Task<RawHttpResponse> SendJsonAsync(string method, string target, string json) =>
        SendAsync(method, target, ["Content-Type: application/json", "Accept: application/json"], Encoding.UTF8.GetBytes(json));

    /// <summary>Follows Location headers with GET (as browsers do after a POST, RFC 9110 §15.4.3), at most five times.</summary>
    public async Task<RawHttpResponse> FollowRedirectsAsync(RawHttpResponse response)
    {
        for (int hops = 0; hops < 5 && response.StatusCode is 301 or 302 or 303 or 307 or 308; hops++)
        {
            string location = response.Header("Location") ?? throw new InvalidOperationException($"A redirect without Location:\n{response}");
            response = await GetAsync(PathOf(location));
        }
        return response;
    }

    public async Task<RawHttpResponse> SendAsync(string method, string target, IEnumerable<string> headers, byte[] body)
    {
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(server.EndPoint);
        await connection.SendAsync(Request(method, target, headers, body));
        RawHttpResponse response = await connection.ReadResponseAsync(bodyAllowed: method != "HEAD");
        Remember(method, target, response.Head, response.Body, chunks: null);
        return response;
    }

    /// <summary>A GET whose chunked response is read one chunk at a time, as a browser renders a streamed page.</summary>
    public async Task<StreamedResponse> StreamAsync(string target)
    {
        await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(server.EndPoint);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync(Request("GET", target, [], []));
        RawHttpResponseHead head = await connection.ReadHeadAsync();
        if (!head.IsChunked)
        {
            throw new InvalidOperationException($"{server.Name} did not stream {target} chunked:\n{head.Text}");
        }
        var chunks = new List<(byte[], TimeSpan)>();
        while (await connection.ReadChunkAsync() is { } chunk)
        {
            chunks.Add((chunk, clock.Elapsed));
        }
        Remember("GET", target, head, chunks.SelectMany(chunk => chunk.Item1).ToArray(), chunks.Count);
        return new StreamedResponse(head, chunks);
    }

    /// <summary>The path and query of a Location, which may be absolute (Pyramid) or a path (Django, Flask).</summary>
    public static string PathOf(string location) =>
        Uri.TryCreate(location, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" ? uri.PathAndQuery : location;

    private byte[] Request(string method, string target, IEnumerable<string> headers, byte[] body)
    {
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        if (cookies.Count > 0)
        {
            head.Append("Cookie: ").AppendJoin("; ", cookies.Select(cookie => $"{cookie.Key}={cookie.Value}")).Append("\r\n");
        }
        foreach (string header in headers)
        {
            head.Append(header).Append("\r\n");
        }
        if (body.Length > 0 || method is "POST" or "PUT" or "PATCH")
        {
            head.Append($"Content-Length: {body.Length}\r\n");
        }
        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    private void Remember(string method, string target, RawHttpResponseHead head, byte[] body, int? chunks)
    {
        foreach (string setCookie in head.Headers.Where(field => field.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)).Select(field => field.Value))
        {
            StoreCookie(setCookie);
        }
        transcript.Add(normalizer.Normalize(server, $"{method} {target}", head, body, chunks));
    }

    /// <summary>RFC 6265 §5.2, as much as these sites need: name=value, deleted by Max-Age=0 or an expiry in the past.</summary>
    private void StoreCookie(string setCookie)
    {
        string[] parts = setCookie.Split(';', StringSplitOptions.TrimEntries);
        int equals = parts[0].IndexOf('=');
        if (equals <= 0)
        {
            return;
        }
        string name = parts[0][..equals];
        bool expired = parts.Skip(1).Any(attribute =>
            attribute.Equals("Max-Age=0", StringComparison.OrdinalIgnoreCase)
            || (attribute.StartsWith("expires=", StringComparison.OrdinalIgnoreCase)
                && DateTimeOffset.TryParse(attribute["expires=".Length..], out DateTimeOffset expires) && expires < DateTimeOffset.UtcNow));
        if (expired)
        {
            cookies.Remove(name);
        }
        else
        {
            cookies[name] = parts[0][(equals + 1)..];
        }
    }
}
