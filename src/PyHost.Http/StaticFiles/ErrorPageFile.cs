using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// A page of the site's own, sent instead of the front's short page for one status or a range of them (nginx
/// <c>error_page 404 /404.html</c>, <c>error_page 500 502 503 504 /50x.html</c>). The file is read when it is
/// needed, so an edit shows at once; a file that went missing falls back to the front's page.
/// </summary>
public sealed class ErrorPageFile
{
    private ErrorPageFile(string statuses, string path)
    {
        Statuses = statuses;
        Path = path;
    }

    /// <summary>"404", or "50x" for 500–599.</summary>
    public string Statuses { get; }

    /// <summary>The page's absolute path.</summary>
    public string Path { get; }

    public bool Covers(int status) =>
        Statuses == "50x" ? status is >= 500 and <= 599 : Statuses == status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads <c>STATUS=FILE</c> (STATUS: 404, 500, 502, 503, 504 or 50x); FILE must exist.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ErrorPageFile? page, [NotNullWhen(false)] out string? error)
    {
        page = null;
        int equals = text.IndexOf('=');
        string statuses = equals < 0 ? "" : text[..equals].Trim();
        string file = equals < 0 ? "" : text[(equals + 1)..].Trim();
        if (statuses is not ("404" or "500" or "502" or "503" or "504" or "50x") || file.Length == 0)
        {
            error = $"'{text}': expected STATUS=FILE with STATUS 404, 500, 502, 503, 504 or 50x, e.g. 50x=/srv/site/50x.html";
            return false;
        }
        string full = System.IO.Path.GetFullPath(file);
        if (!File.Exists(full))
        {
            error = $"'{text}': no such file: {file}";
            return false;
        }
        page = new ErrorPageFile(statuses, full);
        error = null;
        return true;
    }

    /// <summary>A page of the config file's <c>error_pages</c>: statuses and an absolute path, checked when it was read.</summary>
    public static ErrorPageFile Of(string statuses, string path) => new(statuses, System.IO.Path.GetFullPath(path));

    /// <summary>The first page among <paramref name="pages"/> that covers <paramref name="status"/>.</summary>
    public static ErrorPageFile? For(IReadOnlyList<ErrorPageFile> pages, int status)
    {
        foreach (ErrorPageFile page in pages)
        {
            if (page.Covers(status))
            {
                return page;
            }
        }
        return null;
    }

    /// <summary>
    /// Answers with <paramref name="status"/> and this page, and returns the body bytes sent; null, with nothing
    /// written, when the page cannot be read.
    /// </summary>
    public async Task<long?> TryWriteAsync(HttpContext context, int status)
    {
        byte[] page;
        try
        {
            page = await File.ReadAllBytesAsync(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = StaticContentTypes.For(Path);
        response.ContentLength = page.Length;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return 0;
        }
        await response.Body.WriteAsync(page, context.RequestAborted);
        return page.Length;
    }
}
