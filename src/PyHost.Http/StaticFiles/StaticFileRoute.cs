using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// Answers requests under the <c>--static</c> mounts from the front, without a worker: GET and HEAD of regular files
/// only, with validators (304), single byte ranges (206) and no directory listings. A path under a mount belongs to
/// the mount: a missing file is a 404 from here, never a request to the app (as nginx's <c>location</c> + <c>alias</c>).
/// </summary>
public sealed class StaticFileRoute
{
    private const int CopyBufferSize = 64 * 1024;

    private readonly StaticMount[] _mounts;

    public StaticFileRoute(IEnumerable<StaticMount> mounts)
    {
        // The longest prefix wins, so /static/admin=... can sit inside /static=...
        _mounts = mounts.OrderByDescending(mount => mount.UrlPrefix.Length).ToArray();
    }

    /// <summary>The mount the request's path is under and the raw path below it, or null: the request goes to the app.</summary>
    public (StaticMount Mount, string PathBelow)? Match(HttpContext context)
    {
        string rawPath = RequestTarget.RawPath(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
        foreach (StaticMount mount in _mounts)
        {
            if (mount.PathBelow(rawPath) is { } below)
            {
                return (mount, below);
            }
        }
        return null;
    }

    /// <summary>Answers the request from <paramref name="mount"/>; returns the number of body bytes sent.</summary>
    public async Task<long> ServeAsync(HttpContext context, StaticMount mount, string pathBelow)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return await WritePageAsync(context, StatusCodes.Status405MethodNotAllowed, "Static files can only be read, with GET or HEAD.");
        }
        if (!StaticPathResolver.TryResolve(pathBelow, out string? relativePath, out string? refusal))
        {
            return await WritePageAsync(context, StatusCodes.Status400BadRequest, $"This path is not allowed: {refusal}.");
        }
        // The mount's directory is itself a real path, so whatever realpath(3) returns outside it got there
        // through a symbolic link. A link swapped in between this check and the open would still be followed: that
        // takes write access to the directory, which the mount trusts (openat2 with RESOLVE_BENEATH would close it).
        string? realPath = FileSystemPaths.RealPath(Path.Join(mount.Directory, relativePath));
        if (realPath is not null && !FileSystemPaths.IsWithin(realPath, mount.Directory))
        {
            return await WritePageAsync(context, StatusCodes.Status403Forbidden, "This path leads out of the static directory.");
        }
        using OpenedFile? file = realPath is null ? null : FileSystemPaths.TryOpenRegularFile(realPath);
        if (file is null)
        {
            // Missing, a directory (no listings), or not a regular file: the same answer, so nothing is revealed.
            return await WritePageAsync(context, StatusCodes.Status404NotFound, "There is no file at this address.");
        }
        return await SendFileAsync(context, file, relativePath);
    }

    private static async Task<long> SendFileAsync(HttpContext context, OpenedFile file, string relativePath)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        var validators = FileValidators.For(file.Length, file.LastWriteUtc);
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
        // A 304 carries the validators a 200 would have (RFC 9110 §15.4.5); so does every answer below.
        response.Headers.ETag = validators.ETag.ToString();
        response.Headers.LastModified = validators.LastModifiedText;
        if (outcome == ConditionalOutcome.NotModified)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return 0;
        }

        response.Headers.AcceptRanges = "bytes";
        // Range is defined for GET only (RFC 9110 §14.2), and If-Range can turn it off (§13.1.5).
        ByteRangeRequest range = HttpMethods.IsGet(request.Method) && conditions.RangeApplies(validators)
            ? ByteRangeRequest.Evaluate(Header(request, HeaderNames.Range), file.Length)
            : default;
        if (range.Kind == ByteRangeKind.NotSatisfiable)
        {
            response.Headers.ContentRange = range.ContentRange(file.Length);
            return await WritePageAsync(context, StatusCodes.Status416RangeNotSatisfiable, "The requested range is not in this file.");
        }
        long start = 0;
        long count = file.Length;
        if (range.Kind == ByteRangeKind.Partial)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = range.ContentRange(file.Length);
            (start, count) = (range.Start, range.Length);
        }
        response.ContentType = StaticContentTypes.For(relativePath);
        response.ContentLength = count;
        if (HttpMethods.IsHead(request.Method))
        {
            return 0;
        }
        return await CopyAsync(context, file, start, count);
    }

    private static async Task<long> CopyAsync(HttpContext context, OpenedFile file, long start, long count)
    {
        CancellationToken aborted = context.RequestAborted;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        long sent = 0;
        try
        {
            while (sent < count)
            {
                int read = await RandomAccess.ReadAsync(file.Handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - sent)), start + sent, aborted);
                if (read == 0)
                {
                    context.Abort();   // the file shrank while it was sent: a cut connection tells the client
                    break;
                }
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
                sent += read;
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nothing more to do.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return sent;
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null;

    /// <summary>The front's short error page; returns the body bytes sent, for the access log.</summary>
    private static async Task<long> WritePageAsync(HttpContext context, int status, string explanation)
    {
        await ErrorPages.WriteAsync(context, status, explanation);
        return HttpMethods.IsHead(context.Request.Method) ? 0 : context.Response.ContentLength ?? 0;
    }
}
