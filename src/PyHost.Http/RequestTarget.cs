namespace PyHost.Http;

/// <summary>The parts of a raw request target, still percent-encoded: what the environ and the static mounts read.</summary>
public static class RequestTarget
{
    /// <summary>
    /// Splits origin-form ("/a/b?q") and absolute-form ("http://host/a/b?q", RFC 9112 §3.2.2) targets into path and
    /// query (without its "?"). Asterisk-form ("*", RFC 9112 §3.2.4) names no resource: its path is "". An
    /// absolute-form target with no path has the path "/" (RFC 9112 §3.2.2).
    /// </summary>
    public static void Split(ReadOnlySpan<char> rawTarget, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query)
    {
        ReadOnlySpan<char> target = rawTarget;
        int schemeEnd = target.IndexOf("://");
        if (schemeEnd > 0 && !target.StartsWith("/"))
        {
            ReadOnlySpan<char> afterAuthority = target[(schemeEnd + 3)..];
            int slash = afterAuthority.IndexOfAny('/', '?');
            target = slash < 0 ? "/" : afterAuthority[slash..];
        }
        int question = target.IndexOf('?');
        path = question < 0 ? target : target[..question];
        query = question < 0 ? [] : target[(question + 1)..];
        if (path is "*")
        {
            path = [];
        }
        else if (path.IsEmpty)
        {
            path = "/";
        }
    }

    /// <summary>The path of <paramref name="rawTarget"/> as <see cref="Split"/> finds it.</summary>
    public static string RawPath(string rawTarget)
    {
        Split(rawTarget, out ReadOnlySpan<char> path, out _);
        return path.ToString();
    }
}
