using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// Answers requests under the <c>--static</c> mounts from the front, without a worker: GET and HEAD of regular files
/// only, with validators (304), byte ranges (206, multipart/byteranges), precompressed siblings, Cache-Control rules,
/// and, as each mount's <see cref="StaticFileOptions"/> say, an index file, a fallback file and a 404 page. No
/// directory listings. A path under a mount belongs to the mount: a missing file is a 404 from here, never a request
/// to the app (as nginx's <c>location</c> + <c>alias</c>).
/// </summary>
public sealed partial class StaticFileRoute : IDisposable
{
    private readonly StaticMount[] _mounts;
    private readonly OpenFileCache _files;

    public StaticFileRoute(IEnumerable<StaticMount> mounts)
        : this(mounts, OpenFileCache.DefaultMaxEntries, OpenFileCache.DefaultValidFor)
    {
    }

    /// <param name="openFileCacheEntries">How many lookups to keep (0: none, every request opens its file).</param>
    /// <param name="openFileCacheValidFor">How long a kept lookup is trusted before it is checked again.</param>
    public StaticFileRoute(IEnumerable<StaticMount> mounts, int openFileCacheEntries, TimeSpan openFileCacheValidFor)
    {
        // The longest prefix wins, so /static/admin=... can sit inside /static=...
        _mounts = mounts.OrderByDescending(mount => mount.UrlPrefix.Length).ToArray();
        _files = new OpenFileCache(openFileCacheEntries, openFileCacheValidFor);
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
        StaticFileOptions options = mount.Options;
        using OpenFileCache.Lease found = Open(mount, relativePath);
        StaticPathLookup lookup = found.Lookup;
        switch (lookup.Kind)
        {
            case StaticPathKind.File:
                return await SendFileAsync(context, mount, relativePath, lookup);
            case StaticPathKind.OutsideMount:
                return await WritePageAsync(context, StatusCodes.Status403Forbidden, "This path leads out of the static directory.");
            case StaticPathKind.Directory when options.IndexFile is { } index:
                if (!pathBelow.EndsWith('/') && !(pathBelow.Length == 0 && mount.UrlPrefix.Length == 0))
                {
                    return RedirectToDirectory(context, mount, pathBelow);
                }
                string indexPath = relativePath.Length == 0 ? index : relativePath + "/" + index;
                using (OpenFileCache.Lease indexFile = Open(mount, indexPath))
                {
                    if (indexFile.Lookup.Kind == StaticPathKind.File)
                    {
                        return await SendFileAsync(context, mount, indexPath, indexFile.Lookup);
                    }
                }
                break;
        }
        // Missing, a directory (no listings), or not a regular file: the same answer, so nothing is revealed.
        if (options.FallbackFile is { } fallback)
        {
            using OpenFileCache.Lease fallbackFile = Open(mount, fallback);
            if (fallbackFile.Lookup.Kind == StaticPathKind.File)
            {
                return await SendFileAsync(context, mount, fallback, fallbackFile.Lookup);
            }
        }
        if (options.NotFoundPage is { } notFoundPage && await notFoundPage.TryWriteAsync(context, StatusCodes.Status404NotFound) is { } sent)
        {
            return sent;
        }
        return await WritePageAsync(context, StatusCodes.Status404NotFound, "There is no file at this address.");
    }

    public void Dispose() => _files.Dispose();

    private OpenFileCache.Lease Open(StaticMount mount, string relativePath) =>
        _files.Open(relativePath.Length == 0 ? mount.Directory : mount.Directory + "/" + relativePath, mount.Directory);

    /// <summary>
    /// <c>/dir</c> → <c>/dir/</c> before its index is served (nginx does the same), so that the page's relative links
    /// resolve below the directory. The Location is the path as the client sent it, with the query.
    /// </summary>
    private static long RedirectToDirectory(HttpContext context, StaticMount mount, string pathBelow)
    {
        string query = context.Request.QueryString.Value ?? "";
        context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
        context.Response.Headers.Location = mount.UrlPrefix + pathBelow + "/" + query;
        context.Response.ContentLength = 0;
        return 0;
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
