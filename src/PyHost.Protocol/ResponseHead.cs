namespace PyHost.Protocol;

/// <summary>The status and headers an app passed to <c>start_response</c>, checked by <see cref="ResponseHeadParser"/>.</summary>
public sealed class ResponseHead
{
    public int StatusCode { get; set; }

    /// <summary>The app's reason phrase; null when it is the standard one for the code.</summary>
    public string? ReasonPhrase { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    /// <summary>The Content-Length the app declared, if any.</summary>
    public long? ContentLength { get; set; }

    public void Reset()
    {
        StatusCode = 0;
        ReasonPhrase = null;
        Headers.Clear();
        ContentLength = null;
    }
}
