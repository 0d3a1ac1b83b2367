using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// How a static route answers, beyond serving the file a path names: written as keys of the
/// <c>[[site.route]]</c> itself (<c>index</c>, <c>fallback</c>, <c>cache_control</c>, <c>precompressed</c>,
/// <c>max_ranges</c>, <c>sendfile</c>), valid on static routes only. <see cref="RouteConfig.StaticOptions"/> is null when none is set.
/// </summary>
public sealed record StaticOptionsConfig
{
    public const int DefaultMaxRanges = 16;

    /// <summary>The file served for a directory path ("index.html"); /dir is redirected to /dir/ first. null = none (404).</summary>
    public string? Index { get; init; }

    /// <summary>A file of the mount served with 200 for paths that name no file: a single-page app (nginx try_files $uri /index.html).</summary>
    public string? Fallback { get; init; }

    /// <summary>Cache-Control by file, the first entry that matches wins; no entry matching = no Cache-Control.</summary>
    public IReadOnlyList<CacheControlEntry> CacheControl { get; init; } = [];

    /// <summary>Send FILE.br, FILE.zst or FILE.gz next to FILE when the client accepts that coding (nginx gzip_static).</summary>
    public bool Precompressed { get; init; }

    /// <summary>Send large files with sendfile(2) on plaintext HTTP/1.1 connections, without copying them through
    /// user space (nginx sendfile on). false: always read and written, as TLS and compressed responses are.</summary>
    public bool SendFile { get; init; } = true;

    /// <summary>A Range request with more ranges than this gets the whole file (RFC 9110 §14.2 lets a server ignore Range).</summary>
    public int MaxRanges { get; init; } = DefaultMaxRanges;

    /// <summary>The route keys these options are written as.</summary>
    public static readonly IReadOnlyList<string> RouteKeys = ["index", "fallback", "cache_control", "precompressed", "max_ranges", "sendfile"];

    /// <summary>A file name below the mount: no "..", no backslash, no control characters.</summary>
    internal static readonly TextType FileNameType = new("a file name in the directory, such as \"index.html\"", text =>
        text.Trim('/').Length == 0 || text.Split('/').Any(segment => segment == "..") || text.Contains('\\') || text.Any(char.IsControl)
            ? ($"\"{text}\" is not a file name in the directory", "e.g. \"index.html\"; it is looked up below the route's directory")
            : null, pattern: "^[^\\\\]+$");
}

/// <summary>
/// One <c>cache_control</c> entry: files whose path below the route's directory matches <see cref="Match"/> get
/// <c>Cache-Control: Value</c>. Match is a glob (<c>*</c> within a path segment, <c>**</c> across segments, <c>?</c> one
/// character; without '/' it is matched against the file name: <c>"*.css"</c>, with '/' against the whole path:
/// <c>"img/**"</c>), or <c>"hashed"</c>: names carrying a content hash of 8+ hex digits (Django's
/// ManifestStaticFilesStorage, bundlers' <c>[name].[contenthash].js</c>), which never change.
/// </summary>
public sealed record CacheControlEntry
{
    public const string HashedPattern = "hashed";

    /// <summary>What an entry for hashed names usually says: a year, and never revalidate (RFC 8246).</summary>
    public const string ImmutableValue = "public, max-age=31536000, immutable";

    public string Match { get; init; } = "";

    public string Value { get; init; } = "";

    private static readonly TextType MatchType = new("\"hashed\" or a glob such as \"*.css\" or \"img/**\"", text =>
        text.Trim().Length == 0 || text.Any(char.IsControl)
            ? ($"\"{text}\" is not a glob", "e.g. \"*.css\", \"img/**\", or \"hashed\" for names with a content hash")
            : null, pattern: "\\S");

    private static readonly TextType HeaderValueType = new("a Cache-Control value such as \"no-cache\"", text =>
        text.Trim().Length == 0 || text.Any(c => c < 0x20 || c > 0x7e)
            ? ($"\"{text}\" is not a header value", $"printable ASCII, e.g. \"no-cache\" or \"{ImmutableValue}\"")
            : null, pattern: "^[\\x20-\\x7e]+$");

    public static ConfigTable<CacheControlEntry> Table { get; } = CreateTable();

    private static ConfigTable<CacheControlEntry> CreateTable()
    {
        var table = new ConfigTable<CacheControlEntry>("[[site.route.cache_control]]", "A Cache-Control rule of a static route: the first whose match fits a file gives its value.", () => new CacheControlEntry())
        {
            { "match", MatchType, "Which files: \"hashed\" (names with a content hash, e.g. site.0123456789ab.css), or a glob: \"*.css\" (file names), \"img/**\" (paths below the route's directory). Required.", e => e.Match, (e, v) => e with { Match = v.Trim() }, "required" },
            { "value", HeaderValueType, $"The Cache-Control header value, e.g. \"no-cache\" or \"{ImmutableValue}\". Required.", e => e.Value, (e, v) => e with { Value = v.Trim() }, "required" },
        };
        table.Check((entry, node, context, path) =>
        {
            foreach (string key in new[] { "match", "value" })
            {
                if (node[key] is null)
                {
                    context.Error(node, path, $"a cache_control entry needs '{key}'", $"{{ match = \"hashed\", value = \"{ImmutableValue}\" }}");
                }
            }
            return entry;
        });
        return table;
    }
}
