using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PyHost.Gateways.Mongrel2;

/// <summary>
/// One message from Mongrel2 to its handler (Mongrel2 manual, "Handler ZeroMQ Format"):
/// <c>UUID ID PATH SIZE:HEADERS,SIZE:BODY,</c>. Header names Mongrel2 makes are upper case (METHOD, VERSION, URI,
/// PATH, QUERY, FRAGMENT, PATTERN, URL_SCHEME, REMOTE_ADDR) and can be trusted; the client's are lower case.
/// </summary>
public sealed class Mongrel2Request
{
    internal Mongrel2Request(string sender, long connectionId, string path,
        IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        Sender = sender;
        ConnectionId = connectionId;
        Path = path;
        Headers = headers;
        Body = body;
    }

    /// <summary>The UUID of the Mongrel2 server that sent the request: responses are addressed to it.</summary>
    public string Sender { get; }

    /// <summary>The client connection the request came on: responses name it.</summary>
    public long ConnectionId { get; }

    /// <summary>The path Mongrel2 routed on, as it sent it.</summary>
    public string Path { get; }

    /// <summary>The headers in message order, latin-1; a repeated client header (a list) joined with ", ".</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key == name)
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>Mongrel2's notice that a client went away: METHOD "JSON" and the body <c>{"type":"disconnect"}</c>.</summary>
    public bool IsDisconnect => Header("METHOD") == "JSON" && IsDisconnectBody(Body.Span);

    /// <summary>
    /// The request as CGI variables, so the environ is built as for every gateway (<see cref="GatewayRequest"/>):
    /// METHOD → REQUEST_METHOD, URI → REQUEST_URI, QUERY → QUERY_STRING, VERSION → SERVER_PROTOCOL,
    /// URL_SCHEME https → HTTPS=on, REMOTE_ADDR as is, and each client header as HTTP_NAME (content-type and
    /// content-length unprefixed). Names with '_' are dropped, as the HTTP front drops them.
    /// </summary>
    public CgiVariables ToCgiVariables()
    {
        var variables = new List<KeyValuePair<string, string>>(Headers.Count + 4);
        foreach (var (name, value) in Headers)
        {
            string? cgiName = name switch
            {
                "METHOD" => "REQUEST_METHOD",
                "URI" => "REQUEST_URI",
                "QUERY" => "QUERY_STRING",
                "VERSION" => "SERVER_PROTOCOL",
                "REMOTE_ADDR" => "REMOTE_ADDR",
                "URL_SCHEME" => "REQUEST_SCHEME",
                "PATH" => "PATH_INFO",
                "PATTERN" or "FRAGMENT" => null,
                _ => ClientHeaderName(name),
            };
            if (cgiName is not null)
            {
                variables.Add(new(cgiName, value));
            }
        }
        if (Header("content-length") is null && !Body.IsEmpty)
        {
            variables.Add(new("CONTENT_LENGTH", Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return CgiVariables.FromLatin1Pairs(variables);
    }

    private static string? ClientHeaderName(string name)
    {
        if (name.Length == 0 || name.Contains('_'))
        {
            return null;
        }
        if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
        {
            return "CONTENT_TYPE";
        }
        if (name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
        {
            return "CONTENT_LENGTH";
        }
        var builder = new StringBuilder("HTTP_", 5 + name.Length);
        foreach (char c in name)
        {
            builder.Append(c == '-' ? '_' : char.ToUpperInvariant(c));
        }
        return builder.ToString();
    }

    private static bool IsDisconnectBody(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 4 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read())
                {
                    return false;
                }
                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("disconnect"u8);
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
