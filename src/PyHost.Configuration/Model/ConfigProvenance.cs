using PyHost.Configuration.Diagnostics;

namespace PyHost.Configuration.Model;

/// <summary>
/// Where each effective setting came from, by key path ("app.blog.workers", "listen[0].address"): a file's line, a
/// flag, the environment. A path not recorded is a default.
/// </summary>
public sealed class ConfigProvenance
{
    private readonly Dictionary<string, SettingOrigin> _origins;

    public ConfigProvenance(IReadOnlyDictionary<string, SettingOrigin> origins) =>
        _origins = new Dictionary<string, SettingOrigin>(origins, StringComparer.Ordinal);

    public static ConfigProvenance Empty { get; } = new(new Dictionary<string, SettingOrigin>());

    public IReadOnlyDictionary<string, SettingOrigin> Origins => _origins;

    /// <summary>The origin of a key; <see cref="DefaultOrigin"/> when no source set it.</summary>
    public SettingOrigin Of(string path)
    {
        if (_origins.TryGetValue(path, out SettingOrigin? origin))
        {
            return origin;
        }
        return DefaultOrigin.Instance;
    }

    /// <summary>The place to name in an error about a key: its own origin, else the nearest enclosing table's.</summary>
    public SettingOrigin? Locate(string path)
    {
        for (string current = path; current.Length > 0; current = Parent(current))
        {
            if (_origins.TryGetValue(current, out SettingOrigin? origin))
            {
                return origin;
            }
        }
        return null;
    }

    private static string Parent(string path)
    {
        int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}
