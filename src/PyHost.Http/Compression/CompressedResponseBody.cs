using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace PyHost.Http.Compression;

/// <summary>
/// The response body of one request whose client accepts a coding PyHost offers. It stands in for Kestrel's
/// <see cref="IHttpResponseBodyFeature"/> and decides, once, at the moment the response starts (the first body
/// write, a flush, StartAsync, or the end of the request for a response without a body) — when the status and
/// headers are final — whether to compress. Then every write goes either straight to Kestrel's writer
/// (<see cref="ResponseDecision.AsIs"/>) or through the encoder into it; every flush of the app flushes the encoder,
/// so a stream (server-sent events) still reaches the client event by event.
/// </summary>
internal sealed class CompressedResponseBody : IHttpResponseBodyFeature, IResponseCompressionFeature
{
    private readonly HttpContext _context;
    private readonly IHttpResponseBodyFeature _inner;
    private readonly CompressionOptions _options;
    private readonly ContentCoding _coding;
    private readonly DecidingPipeWriter _writer;
    private DecidingStream? _stream;
    private bool _bypass;
    private Stream? _encoder;
    private PipeWriter? _encodingWriter;

    public CompressedResponseBody(HttpContext context, IHttpResponseBodyFeature inner, CompressionOptions options, ContentCoding coding)
    {
        _context = context;
        _inner = inner;
        _options = options;
        _coding = coding;
        _writer = new DecidingPipeWriter(this);
    }

    public ResponseDecision Decision { get; private set; }

    public Stream Stream => _stream ??= new DecidingStream(this);

    public PipeWriter Writer => _writer;

    /// <summary>Where the body goes once decided: Kestrel's own writer, or the writer in front of the encoder.</summary>
    public PipeWriter Target
    {
        get
        {
            if (Decision == ResponseDecision.Undecided)
            {
                Decide(bodyFollows: true);
            }
            return _encodingWriter ?? _inner.Writer;
        }
    }

    public void Bypass() => _bypass = true;

    public bool EncodesBody => Decision == ResponseDecision.Compressed;

    public void PrepareNotModified(HttpContext context, string contentType, long length)
    {
        IHeaderDictionary headers = context.Response.Headers;
        if (_options.Types.IsCompressible(contentType) && ResponseCompressionRules.MayTransform(headers))
        {
            ResponseCompressionRules.AddVary(headers);
            if (length >= _options.MinimumLength)
            {
                ResponseCompressionRules.WeakenETag(headers);
            }
        }
        _bypass = true;
    }

    public void DisableBuffering() => _inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        _ = Target;
        return _inner.StartAsync(cancellationToken);
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        if (Target == _inner.Writer)
        {
            await _inner.SendFileAsync(path, offset, count, cancellationToken);
            return;
        }
        await SendFileFallback.SendFileAsync(Stream, path, offset, count, cancellationToken);
    }

    public async Task CompleteAsync()
    {
        await FinishAsync();
        await _inner.CompleteAsync();
    }

    /// <summary>
    /// Runs when the request handler returned: a response that never wrote a body is decided now (its headers
    /// still get Vary), and an encoder writes its end and is flushed into Kestrel's pipe.
    /// </summary>
    public async Task FinishAsync()
    {
        if (Decision == ResponseDecision.Undecided)
        {
            Decide(bodyFollows: false);
        }
        if (_encodingWriter is null || _encoder is null)
        {
            return;
        }
        PipeWriter encodingWriter = _encodingWriter;
        Stream encoder = _encoder;
        _encodingWriter = null;
        _encoder = null;
        try
        {
            await encodingWriter.CompleteAsync();   // hands what is buffered to the encoder
            await encoder.DisposeAsync();          // the coding's final block
            await _inner.Writer.FlushAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away, or the response was aborted: the rest of the body has nowhere to go.
        }
    }

    /// <summary>
    /// Decides from the final status and headers (RFC 9110 §8.4, §12.5.3). Vary: Accept-Encoding goes on every
    /// answer whose coding depended on the request's Accept-Encoding, compressed or not, so a cache never hands
    /// a gzip body to a client that did not ask for one.
    /// </summary>
    public void Decide(bool bodyFollows)
    {
        if (Decision != ResponseDecision.Undecided)
        {
            return;
        }
        HttpResponse response = _context.Response;
        IHeaderDictionary headers = response.Headers;
        Decision = ResponseDecision.AsIs;
        if (_bypass || response.HasStarted || !ResponseCompressionRules.MayTransform(headers))
        {
            return;
        }
        if (response.StatusCode == StatusCodes.Status304NotModified)
        {
            // A 200 to this request would have had a weak ETag: a client that revalidates with it gets that form.
            ResponseCompressionRules.WeakenETagIfClientHasWeakForm(_context.Request.Headers.IfNoneMatch, headers);
        }
        if (!_options.Types.IsCompressible(headers.ContentType))
        {
            return;
        }
        ResponseCompressionRules.AddVary(headers);
        if (!bodyFollows || !ResponseCompressionRules.MayCompressBody(_context, _options.MinimumLength))
        {
            return;
        }
        headers.ContentEncoding = _coding.Token();
        headers.ContentLength = null;
        // Ranges would be of the identity representation; this answer is another one (RFC 9110 §14.3).
        headers.Remove(HeaderNames.AcceptRanges);
        // The bytes differ from the identity representation's: the same strong tag would be a lie (§8.8.1).
        ResponseCompressionRules.WeakenETag(headers);
        _encoder = ContentEncoders.Create(_coding, _options.LevelOf(_coding), new PipeWriterSinkStream(_inner.Writer));
        _encodingWriter = PipeWriter.Create(_encoder, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        Decision = ResponseDecision.Compressed;
    }
}

internal enum ResponseDecision
{
    Undecided,
    AsIs,
    Compressed,
}

/// <summary>The header rules, shared by the compressing body and the Vary-only path for clients that accept no coding.</summary>
internal static class ResponseCompressionRules
{
    /// <summary>An answer already encoded, or one that forbids transformation (RFC 9111 §5.2.2.6), is left as it is.</summary>
    public static bool MayTransform(IHeaderDictionary headers)
    {
        StringValues encoding = headers.ContentEncoding;
        if (encoding.Count > 0 && !(encoding.Count == 1 && string.Equals(encoding[0], "identity", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }
        foreach (string? directive in headers.CacheControl)
        {
            if (directive is not null && directive.Contains("no-transform", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A body worth compressing: not for HEAD (no body), 1xx/204/304 (none either), 206 or a Content-Range
    /// (a slice of the identity representation), nor a known length below the minimum.
    /// </summary>
    public static bool MayCompressBody(HttpContext context, long minimumLength)
    {
        HttpResponse response = context.Response;
        int status = response.StatusCode;
        if (HttpMethods.IsHead(context.Request.Method) || status < 200 || status is 204 or 206 or 304
            || response.Headers.ContainsKey(HeaderNames.ContentRange))
        {
            return false;
        }
        return response.ContentLength is not { } length || length >= minimumLength;
    }

    public static void AddVary(IHeaderDictionary headers)
    {
        foreach (string? value in headers.Vary)
        {
            foreach (string field in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (field == "*" || field.Equals(HeaderNames.AcceptEncoding, StringComparison.OrdinalIgnoreCase))
                {
                    return;
                }
            }
        }
        headers.Vary = StringValues.Concat(headers.Vary, HeaderNames.AcceptEncoding);
    }

    public static void WeakenETag(IHeaderDictionary headers)
    {
        if (headers.ETag is { Count: 1 } tag && tag[0] is { } etag && etag.StartsWith('"'))
        {
            headers.ETag = "W/" + etag;
        }
    }

    public static void WeakenETagIfClientHasWeakForm(StringValues ifNoneMatch, IHeaderDictionary headers)
    {
        if (headers.ETag is not { Count: 1 } tag || tag[0] is not { } etag || !etag.StartsWith('"'))
        {
            return;
        }
        foreach (string? value in ifNoneMatch)
        {
            if (value is not null && value.Contains("W/" + etag, StringComparison.Ordinal))
            {
                headers.ETag = "W/" + etag;
                return;
            }
        }
    }
}
