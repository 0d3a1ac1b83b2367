namespace PyHost.Gateways.Cgi;

/// <summary>The four kinds of CGI response (RFC 3875 §6.2).</summary>
public enum CgiResponseKind
{
    /// <summary>§6.2.1: a status (200 unless given), header fields, and the body that follows.</summary>
    Document,

    /// <summary>§6.2.2: a Location that is a local path (it starts with '/') and no other status than 200: the
    /// server handles that path instead, as a GET, and sends nothing of the script's.</summary>
    LocalRedirect,

    /// <summary>§6.2.3: a Location to elsewhere and no Status: the server answers 302 Found itself; the script's
    /// body, if any, is dropped (as Apache's mod_cgi does).</summary>
    ClientRedirect,

    /// <summary>§6.2.4: a Location with a Status the script chose: sent as it is, with the script's body.</summary>
    ClientRedirectWithDocument,
}

/// <summary>A CGI script's response head as <see cref="CgiResponseReader"/> understood it.</summary>
public sealed class CgiResponse
{
    public CgiResponseKind Kind { get; internal set; }

    public int StatusCode { get; internal set; }

    /// <summary>The script's reason phrase; null when it gave none or the standard one.</summary>
    public string? ReasonPhrase { get; internal set; }

    /// <summary>The fields for the client, in the script's order: everything but Status (and but Location, for a
    /// local redirect). Hop-by-hop fields, which are the server's to send, are left out.</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public string? Location { get; internal set; }

    public string? ContentType { get; internal set; }

    public long? ContentLength { get; internal set; }
}

/// <summary>Bounds on a CGI script's header block, so a runaway script cannot make the server hold its output.</summary>
public sealed record CgiResponseLimits
{
    public static readonly CgiResponseLimits Default = new();

    /// <summary>The header block up to and including the empty line, in bytes.</summary>
    public int MaxHeaderBytes { get; init; } = 32 * 1024;

    public int MaxHeaderCount { get; init; } = 100;
}
