namespace PyHost.Http.StaticFiles;

/// <summary>The path of a raw request target, still percent-encoded, as the static mounts compare it.</summary>
public static class RequestTarget
{
    /// <summary>
    /// The path of origin-form ("/a/b?q") and absolute-form ("http://host/a/b?q", RFC 9112 §3.2.2) targets; "" for
    /// asterisk-form ("*", RFC 9112 §3.2.4), which names no resource. An absolute-form target with no path is "/"
    /// (RFC 9112 §3.2.2).
    /// </summary>
    public static string RawPath(string rawTarget)
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
        ReadOnlySpan<char> path = question < 0 ? target : target[..question];
        return path switch
        {
            "*" => "",
            [] => "/",
            _ => path.ToString(),
        };
    }
}
