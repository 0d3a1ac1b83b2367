using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PyHost.Http;

/// <summary>
/// A route's max_body_size for the endpoints that read the request body through Kestrel themselves (cgi and proxy
/// routes); an app route's is the worker pool's (DispatchPolicy).
/// </summary>
internal static class RequestBodyLimit
{
    /// <summary>
    /// False when the request declares a body over <paramref name="limit"/> (null: no limit): it gets 413 without the
    /// body being read. A body of unknown length (chunked, or HTTP/2 without content-length) is handed to Kestrel's
    /// limit instead, so that reading it past the limit fails with a 413 BadHttpRequestException.
    /// </summary>
    public static bool Admits(HttpContext context, long? limit)
    {
        if (limit is not long max)
        {
            return true;
        }
        if (context.Request.ContentLength is long declared)
        {
            return declared <= max;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }
        return true;
    }
}
