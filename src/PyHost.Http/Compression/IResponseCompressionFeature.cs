using Microsoft.AspNetCore.Http;

namespace PyHost.Http.Compression;

/// <summary>
/// Set on every request while <see cref="ResponseCompressionMiddleware"/> is on, for handlers that know more about
/// their answer than its headers say (the static files).
/// </summary>
public interface IResponseCompressionFeature
{
    /// <summary>Send this response as the handler writes it: no coding, no header changes (a precompressed file).</summary>
    void Bypass();

    /// <summary>Whether the body, once the response has started, goes through an encoder (then its bytes must be
    /// written, not sent from a file by sendfile).</summary>
    bool EncodesBody { get; }

    /// <summary>
    /// A 304 carries no Content-Type, yet must carry the Vary and ETag form that a 200 would have had (RFC 9110
    /// §15.4.5): the handler says which type and length the 200 would have had.
    /// </summary>
    void PrepareNotModified(HttpContext context, string contentType, long length);
}
