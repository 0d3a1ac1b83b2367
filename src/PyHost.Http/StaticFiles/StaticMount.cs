using System.Diagnostics.CodeAnalysis;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// One <c>--static URL_PREFIX=DIR</c>: every request path under the prefix is a file under the directory, answered by
/// the front without a worker. Everything a mount will later carry (per-site host names, cache policies, precompressed
/// variants) belongs on this record, so <see cref="StaticFileRoute"/> stays the one place that serves them.
/// </summary>
public sealed record StaticMount
{
    private StaticMount(string urlPrefix, string directory, string text)
    {
        UrlPrefix = urlPrefix;
        Directory = directory;
        Text = text;
    }

    /// <summary>The path prefix, with its leading slash and without a trailing one ("/static"); "" for the whole site.</summary>
    public string UrlPrefix { get; }

    /// <summary>The directory, absolute, with every symbolic link in it resolved: files must stay below this path.</summary>
    public string Directory { get; }

    /// <summary>The option as given, for messages.</summary>
    public string Text { get; }

    /// <summary>How this mount answers: index file, fallback, Cache-Control, precompressed siblings, error page.</summary>
    public StaticFileOptions Options { get; init; } = StaticFileOptions.Default;

    /// <summary>Reads <c>URL_PREFIX=DIR</c>; DIR is relative to the current directory and must exist.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out StaticMount? mount, [NotNullWhen(false)] out string? error)
    {
        mount = null;
        int equals = text.IndexOf('=');
        if (equals < 0 || equals == text.Length - 1)
        {
            error = $"'{text}': expected URL_PREFIX=DIR, e.g. /static/=./staticfiles";
            return false;
        }
        string prefix = text[..equals].Trim();
        string directory = text[(equals + 1)..];
        if (!prefix.StartsWith('/'))
        {
            prefix = "/" + prefix;
        }
        // The prefix is compared with the raw request target, so it must be written as a client sends it.
        if (prefix.AsSpan().IndexOfAny("%?#\\ ") >= 0 || prefix.Contains("//", StringComparison.Ordinal)
            || prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            error = $"'{text}': the URL prefix must be a plain path such as /static (no %, ?, #, spaces, backslashes or dot segments)";
            return false;
        }
        string? resolved = FileSystemPaths.RealPath(directory);
        if (resolved is null || !System.IO.Directory.Exists(resolved))
        {
            error = $"'{text}': no such directory: {directory}";
            return false;
        }
        mount = new StaticMount(prefix.TrimEnd('/'), resolved, text);
        error = null;
        return true;
    }

    /// <summary>
    /// A mount for a configured route: <paramref name="urlPrefix"/> ("/static", "/" for the whole site) checked by the
    /// configuration, <paramref name="directory"/> resolved here (symbolic links included). Null when the directory
    /// is gone.
    /// </summary>
    public static StaticMount? ForRoute(string urlPrefix, string directory, StaticFileOptions options)
    {
        string? resolved = FileSystemPaths.RealPath(directory);
        if (resolved is null || !System.IO.Directory.Exists(resolved))
        {
            return null;
        }
        return new StaticMount(urlPrefix.TrimEnd('/'), resolved, $"{urlPrefix}={directory}") { Options = options };
    }

    /// <summary>
    /// The part of a raw request path (still percent-encoded) below this mount: "" for the prefix itself, "/rest"
    /// for a path under it, null for a path elsewhere ("/static2" is not under "/static").
    /// </summary>
    public string? PathBelow(string rawPath)
    {
        if (!rawPath.StartsWith(UrlPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        string rest = rawPath[UrlPrefix.Length..];
        return rest.Length == 0 || rest[0] == '/' ? rest : null;
    }
}
