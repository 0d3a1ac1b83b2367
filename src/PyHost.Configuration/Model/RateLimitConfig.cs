using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>A request rate as nginx writes it: <c>"10r/s"</c>, <c>"600r/m"</c>, <c>"1000r/h"</c>.</summary>
public readonly record struct RequestRate(double Requests, TimeSpan Per)
{
    public double PerSecond => Requests / Per.TotalSeconds;

    public static bool TryParse(string text, [NotNullWhen(false)] out string? error, out RequestRate rate)
    {
        rate = default;
        string trimmed = text.Trim();
        int slash = trimmed.IndexOf('/');
        string count = slash < 0 ? "" : trimmed[..slash].TrimEnd('r', 'R').Trim();
        string unit = slash < 0 ? "" : trimmed[(slash + 1)..].Trim();
        TimeSpan? per = unit switch { "s" => TimeSpan.FromSeconds(1), "m" => TimeSpan.FromMinutes(1), "h" => TimeSpan.FromHours(1), _ => null };
        if (per is null || !double.TryParse(count, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double requests) || requests <= 0)
        {
            error = "a rate is a number of requests per second, minute or hour: \"10r/s\", \"600r/m\", \"1000r/h\"";
            return false;
        }
        rate = new RequestRate(requests, per.Value);
        error = null;
        return true;
    }

    public override string ToString() =>
        $"{Requests.ToString(CultureInfo.InvariantCulture)}r/{(Per.TotalSeconds == 1 ? "s" : Per.TotalMinutes == 1 ? "m" : "h")}";
}

/// <summary>What requests are counted together: by client address, or by a header's or cookie's value.</summary>
public sealed record RateLimitKey(RateLimitKeyKind Kind, string Name = "")
{
    public static RateLimitKey Client { get; } = new(RateLimitKeyKind.ClientAddress);

    public static bool TryParse(string text, [NotNullWhen(true)] out RateLimitKey? key)
    {
        key = text switch
        {
            "client" => Client,
            _ when text.StartsWith("header:", StringComparison.Ordinal) && IsToken(text[7..]) => new RateLimitKey(RateLimitKeyKind.Header, text[7..]),
            _ when text.StartsWith("cookie:", StringComparison.Ordinal) && IsToken(text[7..]) => new RateLimitKey(RateLimitKeyKind.Cookie, text[7..]),
            _ => null,
        };
        return key is not null;
    }

    private static bool IsToken(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    public override string ToString() => Kind switch
    {
        RateLimitKeyKind.ClientAddress => "client",
        RateLimitKeyKind.Header => $"header:{Name}",
        _ => $"cookie:{Name}",
    };
}

public enum RateLimitKeyKind
{
    /// <summary>The client's address, after the trusted-proxy rules (forwarded_allow_ips).</summary>
    ClientAddress,
    Header,
    Cookie,
}

/// <summary>
/// <c>rate_limit = { rate = "10r/s", burst = 20, nodelay = true, key = "client", max_concurrent = 0 }</c> on a site or
/// a route: nginx's <c>limit_req</c> (a leaky bucket: requests beyond <c>rate</c> wait, up to <c>burst</c> of them,
/// and past that get 429) and <c>limit_conn</c> (requests in progress per key).
/// </summary>
public sealed record RateLimitConfig
{
    public static RateLimitConfig Off { get; } = new() { Enabled = false };

    public bool Enabled { get; init; } = true;

    /// <summary>null: no rate, only <see cref="MaxConcurrent"/>.</summary>
    public RequestRate? Rate { get; init; }

    /// <summary>Requests above the rate that are let through (nodelay) or made to wait (nginx <c>burst</c>).</summary>
    public int Burst { get; init; }

    /// <summary>Requests within the burst pass at once instead of being spaced at the rate (nginx <c>nodelay</c>).</summary>
    public bool NoDelay { get; init; }

    public RateLimitKey Key { get; init; } = RateLimitKey.Client;

    /// <summary>Requests in progress at once per key; 0 = no limit (nginx <c>limit_conn</c>).</summary>
    public int MaxConcurrent { get; init; }

    /// <summary>Keys remembered at once; beyond this the least recently seen are forgotten (nginx's zone size).</summary>
    public int MaxKeys { get; init; } = 100_000;

    public static ConfigTable<RateLimitConfig> Table { get; } = CreateTable();

    private static ConfigTable<RateLimitConfig> CreateTable()
    {
        var table = new ConfigTable<RateLimitConfig>("rate_limit", "Request rate and concurrency limits per client (nginx's limit_req and limit_conn); over them a request gets 429 with Retry-After.", () => new RateLimitConfig())
        {
            { "rate", Types.OptionalValue(new RequestRateType()), "Requests per key: \"10r/s\", \"600r/m\", \"1000r/h\". nginx: limit_req_zone rate.", r => r.Rate, (r, v) => r with { Rate = v }, "no rate limit" },
            { "burst", Types.Count(0), "Requests above the rate that are let through (nodelay) or made to wait; beyond them 429. nginx: burst.", r => r.Burst, (r, v) => r with { Burst = v } },
            { "nodelay", Types.Boolean, "Let requests within the burst through at once instead of spacing them at the rate. nginx: nodelay.", r => r.NoDelay, (r, v) => r with { NoDelay = v } },
            { "key", new RateLimitKeyType(), "What is counted together: \"client\" (the client address, after forwarded_allow_ips), \"header:NAME\" or \"cookie:NAME\". Requests without the header or cookie are not limited.", r => r.Key, (r, v) => r with { Key = v } },
            { "max_concurrent", Types.Count(0), "Requests in progress at once per key; 0 = no limit. nginx: limit_conn.", r => r.MaxConcurrent, (r, v) => r with { MaxConcurrent = v } },
            { "max_keys", Types.Count(1000, 10_000_000), "Keys remembered at once (about 100 bytes each); past it the least recently seen are forgotten. nginx: the zone's size.", r => r.MaxKeys, (r, v) => r with { MaxKeys = v } },
        };
        table.Check((limit, node, context, path) =>
        {
            if (limit.Rate is null && limit.MaxConcurrent == 0)
            {
                context.Error(node, path, "rate_limit needs a rate or max_concurrent", "rate_limit = { rate = \"10r/s\", burst = 20 }");
            }
            if (limit.Rate is null && (node.Entry("burst") ?? node.Entry("nodelay")) is { } entry)
            {
                context.Diagnostics.Error(entry.KeyOrigin, ReadContext.Join(path, entry.Key), $"{entry.Key} shapes a rate, and this rate_limit has none", "add rate = \"10r/s\"");
            }
            return limit;
        });
        return table;
    }
}

public sealed class RequestRateType : ValueType<RequestRate>
{
    public override string Expected => "a rate such as \"10r/s\" or \"600r/m\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out RequestRate value)
    {
        value = default;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected, node is TomlScalar { Value: long } ? "give the unit: \"10r/s\"" : null);
            return false;
        }
        if (!RequestRate.TryParse(text, out string? error, out value))
        {
            context.Error(node, path, $"\"{text}\": {error}");
            return false;
        }
        return true;
    }

    public override PrintedValue Print(RequestRate value) => new InlineValue(TomlDocumentReader.Quote(value.ToString()));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["pattern"] = @"^\s*[0-9]+(\.[0-9]+)?\s*r?/(s|m|h)\s*$";
    }
}

public sealed class RateLimitKeyType : ValueType<RateLimitKey>
{
    public override string Expected => "\"client\", \"header:NAME\" or \"cookie:NAME\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out RateLimitKey value)
    {
        value = RateLimitKey.Client;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected);
            return false;
        }
        if (!RateLimitKey.TryParse(text, out RateLimitKey? key))
        {
            context.Error(node, path, $"\"{text}\" is not {Expected}", "e.g. key = \"client\", key = \"header:X-Api-Key\", key = \"cookie:session\"");
            return false;
        }
        value = key;
        return true;
    }

    public override PrintedValue Print(RateLimitKey value) => new InlineValue(TomlDocumentReader.Quote(value.ToString()));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["pattern"] = "^(client|header:[!#-'*+.0-9A-Z^-z|~-]+|cookie:[!#-'*+.0-9A-Z^-z|~-]+)$";
    }
}
