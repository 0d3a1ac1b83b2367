using System.Text;
using System.Text.Json;
using Xunit;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>The status line and header fields of a response, exactly as they came (latin-1).</summary>
public sealed record RawHttpResponseHead(string Version, int StatusCode, string ReasonPhrase, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The status line and header lines as received, to look for what must never be on the wire.</summary>
    public required string Text { get; init; }

    public bool IsChunked => Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;

    public long? ContentLength => Header("Content-Length") is { } value ? long.Parse(value) : null;

    public string? Header(string name) =>
        Headers.Where(field => field.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(field => field.Value).FirstOrDefault();
}

/// <summary>A whole response. <see cref="IsComplete"/> is false when the connection ended before the framing said the body did.</summary>
public sealed record RawHttpResponse(RawHttpResponseHead Head, byte[] Body, bool IsComplete)
{
    public int StatusCode => Head.StatusCode;

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Head.Header(name);

    public JsonElement Json()
    {
        try
        {
            return JsonDocument.Parse(Body).RootElement;
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"The body is not JSON ({e.Message}):\n{this}", e);
        }
    }

    /// <summary>The environ an /echo app returned, as a dictionary of the JSON values.</summary>
    public IReadOnlyDictionary<string, JsonElement> Environ() =>
        Json().GetProperty("environ").EnumerateObject().ToDictionary(property => property.Name, property => property.Value);

    /// <summary>Assert.Equal on the status, with the response itself in the failure message.</summary>
    public RawHttpResponse AssertStatus(int expected)
    {
        Assert.True(StatusCode == expected, $"Expected status {expected}, got:\n{this}");
        return this;
    }

    public override string ToString()
    {
        var body = Body.Length <= 4096 ? Encoding.Latin1.GetString(Body) : Encoding.Latin1.GetString(Body, 0, 4096) + $"... ({Body.Length} bytes)";
        return $"{Head.Text}\r\n\r\n{body}{(IsComplete ? "" : "\n[connection ended before the end of the body]")}";
    }
}
