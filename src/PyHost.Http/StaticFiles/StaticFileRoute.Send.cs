using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;
using PyHost.Http.Compression;

namespace PyHost.Http.StaticFiles;

/// <summary>Sending one file: validators, precompressed siblings, ranges and the body itself.</summary>
public sealed partial class StaticFileRoute
{
    /// <summary>
    /// The copy path (TLS, HTTP/2, compression on the fly, multipart, small files, sendfile off; the zero-copy path is
    /// in StaticFileRoute.ZeroCopy.cs): how much is read from the file per pread(2), straight into Kestrel's response
    /// pipe, and how much may wait there before a flush hands it to the socket. A large segment keeps the system
    /// calls per MiB few (64 KiB segments, 256 KiB per flush measured best here).
    /// </summary>
    private const int ReadSegmentBytes = 64 * 1024;
    private const int FlushEveryBytes = 256 * 1024;

    private async Task<long> SendFileAsync(HttpContext context, StaticMount mount, string relativePath, StaticPathLookup file)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        StaticFileOptions options = mount.Options;
        string contentType = StaticContentTypes.For(relativePath);
        IResponseCompressionFeature? compression = context.Features.Get<IResponseCompressionFeature>();

        (ContentCoding coding, OpenFileCache.Lease? variant, bool hasSiblings) = options.Precompressed.Count > 0
            ? ChoosePrecompressed(request, mount, relativePath, options.Precompressed)
            : (ContentCoding.Identity, null, false);
        using OpenFileCache.Lease? heldVariant = variant;
        StaticPathLookup served = variant?.Lookup ?? file;
        FileValidators validators = coding == ContentCoding.Identity ? served.Validators! : VariantValidators(served, coding);
        string etag = coding == ContentCoding.Identity ? served.ETag! : validators.ETag.ToString();
        if (coding != ContentCoding.Identity)
        {
            compression?.Bypass();   // the bytes on disk are already encoded
        }

        var conditions = new ConditionalRequest(
            Header(request, HeaderNames.IfMatch),
            Header(request, HeaderNames.IfNoneMatch),
            Header(request, HeaderNames.IfModifiedSince),
            Header(request, HeaderNames.IfUnmodifiedSince),
            Header(request, HeaderNames.IfRange));
        ConditionalOutcome outcome = conditions.Evaluate(validators);
        if (outcome == ConditionalOutcome.PreconditionFailed)
        {
            return await WritePageAsync(context, StatusCodes.Status412PreconditionFailed, "The file has changed since the condition was written.");
        }
        // A 304 carries what a 200 would have had for caches: validators, Cache-Control, Vary (RFC 9110 §15.4.5).
        IHeaderDictionary headers = response.Headers;
        headers.ETag = etag;
        headers.LastModified = served.LastModified;
        if (CacheControlRule.ValueFor(options.CacheControl, relativePath) is { } cacheControl)
        {
            headers.CacheControl = cacheControl;
        }
        if (hasSiblings)
        {
            headers.Vary = HeaderNames.AcceptEncoding;   // which bytes are sent depended on Accept-Encoding
        }
        if (outcome == ConditionalOutcome.NotModified)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            if (coding == ContentCoding.Identity)
            {
                compression?.PrepareNotModified(context, contentType, served.Length);
            }
            return 0;
        }

        long length = served.Length;
        headers.AcceptRanges = "bytes";
        // Range is defined for GET only (RFC 9110 §14.2), and If-Range can turn it off (§13.1.5).
        ByteRangeSet ranges = HttpMethods.IsGet(request.Method) && conditions.RangeApplies(validators)
            ? ByteRangeSet.Evaluate(Header(request, HeaderNames.Range), length, options.MaxRanges)
            : ByteRangeSet.Whole;
        if (ranges.Kind == ByteRangeKind.NotSatisfiable)
        {
            headers.ContentRange = ByteRangeSet.UnsatisfiedContentRange(length);
            return await WritePageAsync(context, StatusCodes.Status416RangeNotSatisfiable, "The requested range is not in this file.");
        }
        if (coding != ContentCoding.Identity)
        {
            headers.ContentEncoding = coding.Token();
        }
        if (ranges.Kind == ByteRangeKind.Partial && ranges.Ranges.Count > 1)
        {
            var multipart = new MultipartByteRanges(MultipartByteRanges.NewBoundary(), contentType, length, ranges.Ranges);
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.ContentType = multipart.ContentType;
            response.ContentLength = multipart.ContentLength;
            return HttpMethods.IsHead(request.Method) ? 0 : await SendMultipartAsync(context, served.Handle!, multipart);
        }
        ByteRange whole = new(0, length);
        ByteRange range = ranges.Kind == ByteRangeKind.Partial ? ranges.Ranges[0] : whole;
        if (ranges.Kind == ByteRangeKind.Partial)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            headers.ContentRange = range.ContentRange(length);
        }
        response.ContentType = contentType;
        response.ContentLength = range.Length;
        if (HttpMethods.IsHead(request.Method) || range.Length == 0)
        {
            return 0;
        }
        if (ZeroCopyFor(context, options, range) is { } zeroCopy)
        {
            return await SendZeroCopyAsync(context, zeroCopy, served.Handle!, range);
        }
        PipeWriter body = response.BodyWriter;
        long sent = await WriteRangeAsync(context, body, served.Handle!, range);
        if (sent == range.Length)
        {
            await FlushAsync(context, body);
        }
        return sent;
    }

    /// <summary>
    /// The precompressed sibling to send (FILE.br, FILE.zst, FILE.gz), chosen among those that exist by the
    /// client's Accept-Encoding and the mount's order; whether any exists at all, for Vary.
    /// </summary>
    private (ContentCoding Coding, OpenFileCache.Lease? Variant, bool HasSiblings) ChoosePrecompressed(
        HttpRequest request, StaticMount mount, string relativePath, IReadOnlyList<ContentCoding> offered)
    {
        var existing = new List<ContentCoding>(offered.Count);
        var leases = new List<OpenFileCache.Lease>(offered.Count);
        foreach (ContentCoding coding in offered)
        {
            OpenFileCache.Lease sibling = Open(mount, relativePath + coding.FileExtension());
            if (sibling.Lookup.Kind == StaticPathKind.File)
            {
                existing.Add(coding);
                leases.Add(sibling);
            }
            else
            {
                sibling.Dispose();
            }
        }
        ContentCoding chosen = AcceptEncoding.Negotiate(request.Headers.AcceptEncoding, existing);
        OpenFileCache.Lease? variant = null;
        for (int i = 0; i < existing.Count; i++)
        {
            if (existing[i] == chosen)
            {
                variant = leases[i];
            }
            else
            {
                leases[i].Dispose();
            }
        }
        return (chosen, variant, existing.Count > 0);
    }

    /// <summary>Each encoding is its own representation with its own strong tag (RFC 9110 §8.8.3): the sibling's
    /// time and size, and the coding, so that no two can ever be taken for each other.</summary>
    private static FileValidators VariantValidators(StaticPathLookup sibling, ContentCoding coding)
    {
        string tag = sibling.ETag!;
        return new FileValidators(new EntityTagHeaderValue(tag[..^1] + "-" + coding.Token() + "\""), sibling.Validators!.LastModified);
    }

    private static async Task<long> SendMultipartAsync(HttpContext context, SafeFileHandle handle, MultipartByteRanges multipart)
    {
        PipeWriter body = context.Response.BodyWriter;
        long sent = 0;
        for (int part = 0; part < multipart.Ranges.Count; part++)
        {
            long before = body.CanGetUnflushedBytes ? body.UnflushedBytes : 0;
            multipart.WritePartHeader(body, part);
            sent += (body.CanGetUnflushedBytes ? body.UnflushedBytes : 0) - before;
            long written = await WriteRangeAsync(context, body, handle, multipart.Ranges[part]);
            sent += written;
            if (written < multipart.Ranges[part].Length)
            {
                return sent;
            }
        }
        multipart.WriteClosing(body);
        await FlushAsync(context, body);
        return multipart.ContentLength;
    }

    /// <summary>
    /// Reads the range with pread(2) straight into the response pipe's memory and flushes every
    /// <see cref="FlushEveryBytes"/>. The reads are synchronous: a file being served is in the page cache, and a
    /// thread-pool hop per 64 KiB (what RandomAccess.ReadAsync does on Linux) costs more than the copy. A file that
    /// shrank under us ends the connection, so the client sees a short body rather than a wrong one.
    /// </summary>
    private static async Task<long> WriteRangeAsync(HttpContext context, PipeWriter body, SafeFileHandle handle, ByteRange range)
    {
        CancellationToken aborted = context.RequestAborted;
        long sent = 0;
        int unflushed = 0;
        try
        {
            while (sent < range.Length)
            {
                int wanted = (int)Math.Min(ReadSegmentBytes, range.Length - sent);
                Memory<byte> memory = body.GetMemory(wanted);
                int read = RandomAccess.Read(handle, memory.Span[..Math.Min(wanted, memory.Length)], range.Start + sent);
                if (read == 0)
                {
                    context.Abort();
                    return sent;
                }
                body.Advance(read);
                sent += read;
                unflushed += read;
                if (unflushed >= FlushEveryBytes && sent < range.Length)
                {
                    unflushed = 0;
                    FlushResult result = await body.FlushAsync(aborted);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        return sent;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away; nothing more to do.
        }
        return sent;
    }

    private static async Task FlushAsync(HttpContext context, PipeWriter body)
    {
        try
        {
            await body.FlushAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
    }
}
