using PyHost.Http.StaticFiles;

namespace PyHost.Http.Cgi;

/// <summary>
/// The script a request path names under a mount, found as Apache finds it: the path's segments are walked from the
/// mount's directory until one is a file; that file is the script, and the segments after it are PATH_INFO
/// (RFC 3875 §4.1.5, §4.1.13).
/// </summary>
internal sealed record CgiScript(string FilePath, string ScriptName, string PathInfo)
{
    /// <summary>The script, or an HTTP status and why not (400 for a path that is refused, 403, 404).</summary>
    public static (CgiScript? Script, int Status, string? Refusal) Find(CgiMount mount, string rawPathBelow)
    {
        if (!StaticPathResolver.TryResolve(rawPathBelow, out string? relative, out string? refusal))
        {
            return (null, 400, $"This path is not allowed: {refusal}.");
        }
        string[] segments = relative.Length == 0 ? [] : relative.Split('/');
        if (mount.Script is { } single)
        {
            string below = segments.Length == 0 ? "" : "/" + relative + (rawPathBelow.EndsWith('/') ? "/" : "");
            return (new CgiScript(single, mount.UrlPrefix, below), 0, null);
        }
        string current = mount.Directory;
        for (int i = 0; i < segments.Length; i++)
        {
            current = Path.Combine(current, segments[i]);
            if (FileSystemPaths.TryStat(current) is not { } identity)
            {
                break;
            }
            if (identity.IsRegularFile)
            {
                if (FileSystemPaths.RealPath(current) is not { } real || !FileSystemPaths.IsWithin(real, mount.Directory))
                {
                    return (null, 403, "This path leads out of the CGI directory.");
                }
                if (!mount.IsScriptName(segments[i]))
                {
                    break;
                }
                string pathInfo = i + 1 < segments.Length ? "/" + string.Join('/', segments[(i + 1)..]) : "";
                if (pathInfo.Length > 0 && rawPathBelow.EndsWith('/'))
                {
                    pathInfo += "/";
                }
                return (new CgiScript(current, mount.UrlPrefix + "/" + string.Join('/', segments[..(i + 1)]), pathInfo), 0, null);
            }
            if (!identity.IsDirectory)
            {
                break;
            }
        }
        return (null, 404, "There is no CGI script at this path.");
    }
}
