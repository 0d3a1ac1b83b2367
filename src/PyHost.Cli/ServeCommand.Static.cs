using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using PyHost.Http;
using PyHost.Http.Compression;
using PyHost.Http.StaticFiles;

namespace PyHost.Cli;

/// <summary>
/// The flags of the static mounts' behaviour and of response compression. Each flag applies to every --static mount
/// alike; the configuration file will give each route its own <see cref="StaticFileOptions"/> and
/// <see cref="CompressionOptions"/>.
/// </summary>
public static partial class ServeCommand
{
    private static readonly Option<string?> StaticIndex = new("--static-index")
    {
        Description = "Serve this file (e.g. index.html) for a directory path of a --static mount; /dir is redirected to /dir/ first.",
    };
    private static readonly Option<string?> StaticFallback = new("--static-fallback")
    {
        Description = "Serve this file of the mount (e.g. index.html) with 200 for paths that name no file: a single-page app (try_files $uri /index.html).",
    };
    private static readonly Option<string[]> StaticCacheControl = new("--static-cache-control")
    {
        Description = "PATTERN=VALUE: Cache-Control for files matching a glob ('*.html=no-cache'), or 'hashed' for names with a content hash "
                      + $"('hashed={CacheControlRule.ImmutableValue}'). Repeatable; the first match wins.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<bool> StaticPrecompressed = new("--static-precompressed")
    {
        Description = "Send FILE.br, FILE.zst or FILE.gz next to FILE when the client accepts that coding (nginx gzip_static).",
    };
    private static readonly Option<int> StaticMaxRanges = new("--static-max-ranges")
    {
        Description = "Requests for more byte ranges than this get the whole file.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => ByteRangeSet.DefaultMaxRanges,
    };
    private static readonly Option<string[]> ErrorPage = new("--error-page")
    {
        Description = "STATUS=FILE: the site's own page for 404 (missing static files) or for 500, 502, 503, 504 or 50x (the front's answers when the app fails). Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<bool> Compress = new("--compress")
    {
        Description = "Compress responses (the app's and static files) with zstd, br or gzip, as the client's Accept-Encoding allows.",
    };
    private static readonly Option<string?> CompressCodings = new("--compress-codings")
    {
        Description = "With --compress: the codings offered, in order of preference. [default: zstd,br,gzip]",
    };
    private static readonly Option<string[]> CompressLevel = new("--compress-level")
    {
        Description = "With --compress: CODING=LEVEL, e.g. gzip=6 (1-9, default 5), br=5 (0-11, default 4), zstd=3 (1-19, default 3). Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };
    private static readonly Option<int> CompressMinLength = new("--compress-min-length")
    {
        Description = "With --compress: bodies with a Content-Length below this many bytes are sent as they are.",
        CustomParser = result => WholeNumber(result) ?? 0,
        DefaultValueFactory = _ => 512,
    };

    private static void AddStaticOptions(Command command)
    {
        foreach (Option option in new Option[]
                 {
                     StaticIndex, StaticFallback, StaticCacheControl, StaticPrecompressed, StaticMaxRanges, ErrorPage,
                     Compress, CompressCodings, CompressLevel, CompressMinLength,
                 })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            foreach (string name in new[] { result.GetValue(StaticIndex), result.GetValue(StaticFallback) }.OfType<string>())
            {
                if (name.Length == 0 || name.Contains("..", StringComparison.Ordinal) || name.Contains('\\') || name.Any(char.IsControl))
                {
                    result.AddError($"--static-index/--static-fallback '{name}': expected a file name in the mount, such as index.html");
                }
            }
            foreach (string rule in result.GetValue(StaticCacheControl) ?? [])
            {
                if (!CacheControlRule.TryParse(rule, out _, out string? error))
                {
                    result.AddError($"--static-cache-control {error}");
                }
            }
            foreach (string page in result.GetValue(ErrorPage) ?? [])
            {
                if (!ErrorPageFile.TryParse(page, out _, out string? error))
                {
                    result.AddError($"--error-page {error}");
                }
            }
            if (ParsedValue(result, StaticMaxRanges) is < 1)
            {
                result.AddError("--static-max-ranges must be at least 1");
            }
            if (result.GetValue(CompressCodings) is { } codings && ContentCodings.ParseList(codings, out string? codingError) is null)
            {
                result.AddError($"--compress-codings '{codings}': {codingError}");
            }
            foreach (string level in result.GetValue(CompressLevel) ?? [])
            {
                if (!TryParseLevel(level, out _, out _, out string? error))
                {
                    result.AddError($"--compress-level {error}");
                }
            }
        });
    }

    private static HttpFrontOptions WithStaticOptions(ParseResult parsed, HttpFrontOptions options)
    {
        ErrorPageFile[] pages = (parsed.GetValue(ErrorPage) ?? [])
            .Select(text => ErrorPageFile.TryParse(text, out ErrorPageFile? page, out _) ? page : throw new InvalidOperationException(text))
            .ToArray();
        var files = new StaticFileOptions
        {
            IndexFile = parsed.GetValue(StaticIndex),
            FallbackFile = parsed.GetValue(StaticFallback)?.TrimStart('/'),
            CacheControl = (parsed.GetValue(StaticCacheControl) ?? [])
                .Select(text => CacheControlRule.TryParse(text, out CacheControlRule? rule, out _) ? rule : throw new InvalidOperationException(text))
                .ToArray(),
            Precompressed = parsed.GetValue(StaticPrecompressed) ? [ContentCoding.Brotli, ContentCoding.Zstd, ContentCoding.Gzip] : [],
            NotFoundPage = ErrorPageFile.For(pages, 404),
            MaxRanges = parsed.GetValue(StaticMaxRanges),
        };
        return options with
        {
            StaticMounts = options.StaticMounts.Select(mount => mount with { Options = files }).ToList(),
            ErrorPageFiles = pages.Where(page => page.Statuses != "404").ToArray(),
            Compression = parsed.GetValue(Compress) ? CompressionFrom(parsed) : null,
        };
    }

    private static CompressionOptions CompressionFrom(ParseResult parsed)
    {
        var compression = new CompressionOptions { MinimumLength = parsed.GetValue(CompressMinLength) };
        if (parsed.GetValue(CompressCodings) is { } codings)
        {
            compression = compression with { Codings = ContentCodings.ParseList(codings, out _)! };
        }
        foreach (string text in parsed.GetValue(CompressLevel) ?? [])
        {
            TryParseLevel(text, out ContentCoding coding, out int level, out _);
            compression = coding switch
            {
                ContentCoding.Gzip => compression with { GzipLevel = level },
                ContentCoding.Brotli => compression with { BrotliQuality = level },
                _ => compression with { ZstdLevel = level },
            };
        }
        return compression;
    }

    /// <summary>Reads CODING=LEVEL within the coding's range (gzip 1-9, br 0-11, zstd 1-19).</summary>
    private static bool TryParseLevel(string text, out ContentCoding coding, out int level, out string? error)
    {
        level = 0;
        int equals = text.IndexOf('=');
        if (equals < 0 || !ContentCodings.TryParse(text.AsSpan(0, equals).Trim(), out coding) || coding == ContentCoding.Identity
            || !int.TryParse(text.AsSpan(equals + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out level))
        {
            coding = ContentCoding.Identity;
            error = $"'{text}': expected CODING=LEVEL, e.g. gzip=6, br=5 or zstd=3";
            return false;
        }
        (int lowest, int highest) = coding switch
        {
            ContentCoding.Gzip => (1, 9),
            ContentCoding.Brotli => (0, 11),
            _ => (1, 19),
        };
        if (level < lowest || level > highest)
        {
            error = $"'{text}': the {coding.Token()} level goes from {lowest} to {highest}";
            return false;
        }
        error = null;
        return true;
    }
}
