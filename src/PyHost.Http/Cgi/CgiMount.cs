using System.Diagnostics.CodeAnalysis;
using PyHost.Http.StaticFiles;

namespace PyHost.Http.Cgi;

/// <summary>
/// One <c>--cgi URL_PREFIX=DIR[,EXT...]</c>: the executables under DIR are CGI scripts (RFC 3875), run one process per
/// request, as Apache's <c>ScriptAlias</c> runs them; with extensions, only files ending in one of them are scripts
/// (Apache's <c>AddHandler cgi-script .cgi</c>). <c>URL_PREFIX=SCRIPT</c> makes one script answer every path under the
/// prefix (Apache's <c>ScriptAlias /app /srv/app.cgi</c>).
/// </summary>
public sealed record CgiMount
{
    private CgiMount(string urlPrefix, string directory, IReadOnlyList<string> extensions, string text)
    {
        UrlPrefix = urlPrefix;
        Directory = directory;
        Extensions = extensions;
        Text = text;
    }

    /// <summary>The path prefix, with its leading slash and without a trailing one ("/cgi-bin"); "" for the whole site.</summary>
    public string UrlPrefix { get; }

    /// <summary>The directory, absolute, symbolic links resolved: scripts must stay below it. For a single script,
    /// its directory.</summary>
    public string Directory { get; }

    /// <summary>The one script that answers every path under the prefix; null for a directory of scripts.</summary>
    public string? Script { get; private init; }

    /// <summary>".cgi", ".py": the endings a script's name must have; empty for every file.</summary>
    public IReadOnlyList<string> Extensions { get; }

    public string Text { get; }

    public static bool TryParse(string text, [NotNullWhen(true)] out CgiMount? mount, [NotNullWhen(false)] out string? error)
    {
        mount = null;
        int equals = text.IndexOf('=');
        if (equals < 0 || equals == text.Length - 1)
        {
            error = $"'{text}': expected URL_PREFIX=DIR or URL_PREFIX=DIR,EXT, e.g. /cgi-bin=./cgi-bin or /cgi-bin=./cgi-bin,.cgi";
            return false;
        }
        string prefix = text[..equals].Trim();
        string[] parts = text[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries);
        string directory = parts[0];
        var extensions = new List<string>();
        foreach (string extension in parts.Skip(1))
        {
            if (extension.Length < 2 || extension[0] != '.' || extension.IndexOfAny(['/', '\\', ' ']) >= 0)
            {
                error = $"'{text}': '{extension}' is not a file name extension such as .cgi or .py";
                return false;
            }
            extensions.Add(extension);
        }
        if (!prefix.StartsWith('/'))
        {
            prefix = "/" + prefix;
        }
        // The prefix is compared with the raw request target, so it must be written as a client sends it.
        if (prefix.AsSpan().IndexOfAny("%?#\\ ") >= 0 || prefix.Contains("//", StringComparison.Ordinal)
            || prefix.Split('/').Any(segment => segment is "." or ".."))
        {
            error = $"'{text}': the URL prefix must be a plain path such as /cgi-bin (no %, ?, #, spaces, backslashes or dot segments)";
            return false;
        }
        string? resolved = FileSystemPaths.RealPath(directory);
        if (resolved is not null && File.Exists(resolved) && extensions.Count == 0)
        {
            mount = new CgiMount(prefix.TrimEnd('/'), Path.GetDirectoryName(resolved)!, extensions, text) { Script = resolved };
            error = null;
            return true;
        }
        if (resolved is null || !System.IO.Directory.Exists(resolved))
        {
            error = File.Exists(directory)
                ? $"'{text}': a single script takes no extensions"
                : $"'{text}': no such directory or script: {directory}";
            return false;
        }
        mount = new CgiMount(prefix.TrimEnd('/'), resolved, extensions, text);
        error = null;
        return true;
    }

    /// <summary>The raw path below this mount ("" or "/rest"), or null for a path elsewhere.</summary>
    public string? PathBelow(string rawPath)
    {
        if (!rawPath.StartsWith(UrlPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        string rest = rawPath[UrlPrefix.Length..];
        return rest.Length == 0 || rest[0] == '/' ? rest : null;
    }

    public bool IsScriptName(string fileName) =>
        Extensions.Count == 0 || Extensions.Any(extension => fileName.EndsWith(extension, StringComparison.Ordinal));
}
