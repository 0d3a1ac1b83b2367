using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace PyHost.Http.Compression;

/// <summary>
/// Compresses responses, the app's and the static files', for clients that accept a coding PyHost offers. Installed
/// in front of the request handler (<c>app.Use</c> in <see cref="HttpFront"/>); per request it negotiates the coding
/// from Accept-Encoding and, if one is acceptable, puts a <see cref="CompressedResponseBody"/> in place of Kestrel's
/// body feature, which decides when the response starts. A client that accepts no coding costs one callback: its
/// answers of compressible types still get <c>Vary: Accept-Encoding</c>.
/// </summary>
public sealed class ResponseCompressionMiddleware(CompressionOptions options)
{
    private readonly VaryOnly _varyOnly = new(options);

    public CompressionOptions Options => options;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ContentCoding coding = AcceptEncoding.Negotiate(context.Request.Headers.AcceptEncoding, options.Codings);
        if (coding == ContentCoding.Identity)
        {
            context.Features.Set<IResponseCompressionFeature>(_varyOnly);
            context.Response.OnStarting(_varyOnly.AddVaryOnStart, context);
            return next(context);
        }
        return CompressAsync(context, next, coding);
    }

    private async Task CompressAsync(HttpContext context, RequestDelegate next, ContentCoding coding)
    {
        IHttpResponseBodyFeature inner = context.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new CompressedResponseBody(context, inner, options, coding);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        context.Features.Set<IResponseCompressionFeature>(body);
        try
        {
            await next(context);
        }
        finally
        {
            // Also after a failure: the encoder's native state (zstd, Brotli) is released, and whatever was
            // written before it reaches the client, as the front's failure handling expects.
            await body.FinishAsync();
            context.Features.Set(inner);
            context.Features.Set<IResponseCompressionFeature>(null);
        }
    }

    /// <summary>For a client that accepts no coding PyHost offers: nothing is compressed, but an answer that would
    /// have been adds Vary, so that a shared cache does not hand it to a client that does accept one.</summary>
    private sealed class VaryOnly(CompressionOptions options) : IResponseCompressionFeature
    {
        public readonly Func<object, Task> AddVaryOnStart = state =>
        {
            HttpResponse response = ((HttpContext)state).Response;
            if (ResponseCompressionRules.MayTransform(response.Headers) && options.Types.IsCompressible(response.ContentType))
            {
                ResponseCompressionRules.AddVary(response.Headers);
            }
            return Task.CompletedTask;
        };

        public bool EncodesBody => false;

        public void Bypass()
        {
        }

        public void PrepareNotModified(HttpContext context, string contentType, long length)
        {
            if (options.Types.IsCompressible(contentType) && ResponseCompressionRules.MayTransform(context.Response.Headers))
            {
                ResponseCompressionRules.AddVary(context.Response.Headers);
            }
        }
    }
}
