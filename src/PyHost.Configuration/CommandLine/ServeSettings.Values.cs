using System.Globalization;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.CommandLine;

// The forms flags and gunicorn settings write values in, turned into what the model's keys read. A value these
// cannot make sense of is passed on as given, so the key's own type reports it with what it expects.
public static partial class ServeSettings
{
    private static string Text(TomlNode node) => node is TomlScalar scalar ? scalar.Value as string ?? scalar.Text : "";

    /// <summary>--max-worker-memory counts MiB; 0 means no limit, which the model's type reads from "0MiB" too.</summary>
    private static TomlNode? Mebibytes(TomlNode value, SettingOrigin origin) =>
        long.TryParse(Text(value).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long mebibytes) ? TomlValues.Text($"{mebibytes}MiB", origin) : value;

    /// <summary>--pipeline-age counts milliseconds; text with a unit ("2ms") is taken as it is.</summary>
    private static TomlNode? Milliseconds(TomlNode value, SettingOrigin origin) =>
        decimal.TryParse(Text(value).Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _) ? TomlValues.Text($"{Text(value).Trim()}ms", origin) : value;

    /// <summary>gunicorn reads umask as Python's int(x, 0); a leading 0 (007) is also taken as octal here, as people mean it.</summary>
    private static TomlNode? Umask(TomlNode value, SettingOrigin origin)
    {
        if (value is TomlScalar { Value: long })
        {
            return value;
        }
        string text = Text(value).Trim();
        try
        {
            long mode = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt64(text[2..], 16)
                : text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt64(text[2..], 8)
                : text.Length > 1 && text[0] == '0' ? Convert.ToInt64(text, 8)
                : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
            return TomlValues.Integer(mode, origin);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return value;   // the mask's type reports it
        }
    }

    private static TomlNode? CertificateRequirement(TomlNode value, SettingOrigin origin) => Text(value).Trim().ToUpperInvariant() switch
    {
        "0" or "CERT_NONE" => TomlValues.Text("none", origin),
        "1" or "CERT_OPTIONAL" => TomlValues.Text("optional", origin),
        "2" or "CERT_REQUIRED" => TomlValues.Text("required", origin),
        _ => value,
    };

    private static TomlNode? CommaList(TomlNode value, SettingOrigin origin) => value is TomlScalar
        ? TomlValues.List(Text(value).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part => TomlValues.Text(part, origin)), origin)
        : value;

    /// <summary>
    /// -k: gunicorn's sync and gthread workers are what PyHost's workers are (gthread is --threads). An ASGI class
    /// (uvicorn's) cannot be honoured until PyHost serves ASGI, and green-thread classes never: an error, rather than
    /// serving the app some other way than asked.
    /// </summary>
    private static void WorkerClass(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        string name = Text(value).Trim();
        string lower = name.ToLowerInvariant();
        if (lower is "sync" or "gthread" or "gunicorn.workers.sync.syncworker" or "gunicorn.workers.gthread.threadworker")
        {
            return;
        }
        // uvicorn's gunicorn worker classes (uvicorn.workers, and the uvicorn-worker package): an ASGI app.
        if (lower is "uvicorn.workers.uvicornworker" or "uvicorn.workers.uvicornh11worker" or "uvicorn_worker.uvicornworker" or "uvicorn_worker.uvicornh11worker")
        {
            editor.SetApp("interface", TomlValues.Text("asgi", origin), origin);
            return;
        }
        if (lower.Contains("uvicorn") || lower.Contains("asgi") || lower.Contains("aiohttp"))
        {
            editor.Diagnostics.Error(origin, "worker_class", $"worker class '{name}' is not one PyHost knows",
                "for an ASGI app use -k uvicorn.workers.UvicornWorker, or --interface asgi");
        }
        else if (lower.Contains("gevent") || lower.Contains("eventlet") || lower.Contains("tornado"))
        {
            editor.Diagnostics.Error(origin, "worker_class", $"'{name}' is a green-thread worker class, which PyHost does not have",
                "for I/O-bound apps use -k gthread --threads N");
        }
        else
        {
            editor.Diagnostics.Error(origin, "worker_class", $"expected sync or gthread, not '{name}'",
                "PyHost's workers are sync (one request each) or gthread (--threads N)");
        }
    }

    /// <summary>uvicorn's --interface names (asgi3, asgi2) are asgi: the worker wraps an ASGI 2 app itself.</summary>
    private static TomlNode? AsgiAliases(TomlNode value, SettingOrigin origin) =>
        Text(value).Trim() is "asgi3" or "asgi2" ? TomlValues.Text("asgi", origin) : value;

    /// <summary>--compress-level CODING=LEVEL, repeatable: one level per coding, the others keep theirs.</summary>
    private static void CompressLevels(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        foreach (string text in Items(value))
        {
            int equals = text.IndexOf('=');
            string coding = equals < 0 ? "" : text[..equals].Trim().ToLowerInvariant();
            coding = coding == "x-gzip" ? "gzip" : coding;   // RFC 9110 §8.4.1.3
            if (equals < 0 || !CompressionConfig.CodingType.Choices.Any(choice => choice.Name == coding))
            {
                editor.Diagnostics.Error(origin, "compression.levels", $"expected CODING=LEVEL with CODING zstd, br or gzip, not '{text}'", "e.g. --compress-level gzip=6");
                continue;
            }
            editor.SetSites($"compression.levels.{coding}", TomlValues.Text(text[(equals + 1)..].Trim(), origin), origin);
        }
    }

    /// <summary>--error-page STATUS=FILE, repeatable: one page per status.</summary>
    private static void ErrorPages(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        var pages = new TomlTable(origin);
        foreach (string text in Items(value))
        {
            int equals = text.IndexOf('=');
            if (equals <= 0 || equals == text.Length - 1)
            {
                editor.Diagnostics.Error(origin, "error_pages", $"expected STATUS=FILE, not '{text}'", "e.g. --error-page 404=404.html or --error-page 50x=/srv/site/50x.html");
                continue;
            }
            pages.Set(text[..equals].Trim(), TomlValues.Text(text[(equals + 1)..].Trim(), origin), origin);
        }
        if (pages.Entries.Count > 0)
        {
            editor.SetSites("error_pages", pages, origin);
        }
    }

    /// <summary>--static-cache-control PATTERN=VALUE, repeatable, in order: the first that matches wins.</summary>
    private static void StaticCacheControl(ConfigEditor editor, TomlNode value, SettingOrigin origin)
    {
        var entries = new List<TomlNode>();
        foreach (string text in Items(value))
        {
            int equals = text.IndexOf('=');
            if (equals <= 0 || text[..equals].Trim().Length == 0 || text[(equals + 1)..].Trim().Length == 0)
            {
                editor.Diagnostics.Error(origin, "cache_control", $"expected PATTERN=VALUE, not '{text}'",
                    $"e.g. --static-cache-control 'hashed={CacheControlEntry.ImmutableValue}' or --static-cache-control '*.html=no-cache'");
                continue;
            }
            var entry = new TomlTable(origin);
            entry.Set("match", TomlValues.Text(text[..equals].Trim(), origin), origin);
            entry.Set("value", TomlValues.Text(text[(equals + 1)..].Trim(), origin), origin);
            entries.Add(entry);
        }
        if (entries.Count > 0)
        {
            editor.SetRoutes("static", "cache_control", TomlValues.List(entries, origin), origin);
        }
    }

    private static IEnumerable<string> Items(TomlNode value) => (value is TomlArray array ? array.Items : [value]).Select(Text);
}
