using Microsoft.AspNetCore.StaticFiles;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// The Content-Type for a file name, from ASP.NET Core's table of some 380 extensions, with the corrections a Python
/// site's assets need. Text types say UTF-8, which is what Django's and Flask's collected assets are written in and
/// what a browser would otherwise have to guess. Unknown extensions get application/octet-stream (RFC 9110 §8.3).
/// </summary>
public static class StaticContentTypes
{
    public const string Unknown = "application/octet-stream";

    private static readonly FileExtensionContentTypeProvider Table = CreateTable();

    public static string For(string fileName)
    {
        if (!Table.TryGetContentType(fileName, out string? contentType))
        {
            return Unknown;
        }
        return NeedsCharset(contentType) ? contentType + "; charset=utf-8" : contentType;
    }

    private static bool NeedsCharset(string contentType) =>
        contentType.StartsWith("text/", StringComparison.Ordinal)
        || contentType is "application/json" or "application/manifest+json" or "image/svg+xml" or "application/xml";

    private static FileExtensionContentTypeProvider CreateTable()
    {
        var table = new FileExtensionContentTypeProvider();
        // RFC 9239 made text/javascript the one JavaScript type; the table still says application/javascript.
        table.Mappings[".js"] = "text/javascript";
        table.Mappings[".mjs"] = "text/javascript";
        table.Mappings[".map"] = "application/json";   // source maps, which collectstatic copies next to the .js
        table.Mappings[".webmanifest"] = "application/manifest+json";
        table.Mappings[".wasm"] = "application/wasm";
        table.Mappings[".avif"] = "image/avif";
        return table;
    }
}
