using System.Net;
using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// <c>basic_auth = { htpasswd = "FILE", realm = "..." }</c> on a site or a route (RFC 7617): a request without a user
/// and password from the file gets 401. <c>basic_auth = false</c> on a route turns off its site's (nginx
/// <c>auth_basic off</c>).
/// </summary>
public sealed record BasicAuthConfig
{
    public static BasicAuthConfig Off { get; } = new() { Enabled = false };

    public bool Enabled { get; init; } = true;

    /// <summary>The password file as <c>htpasswd</c> writes it: bcrypt, SHA-256/512 crypt, apr1-MD5 or {SHA} hashes.</summary>
    public string Htpasswd { get; init; } = "";

    /// <summary>The protection space named in WWW-Authenticate (browsers show it).</summary>
    public string Realm { get; init; } = "Restricted";

    public static ConfigTable<BasicAuthConfig> Table { get; } = CreateTable();

    private static ConfigTable<BasicAuthConfig> CreateTable()
    {
        var table = new ConfigTable<BasicAuthConfig>("basic_auth", "HTTP basic authentication (RFC 7617) against an htpasswd file.", () => new BasicAuthConfig())
        {
            { "htpasswd", Types.Path, "The password file, as Apache's htpasswd writes it: bcrypt (htpasswd -B), SHA-256/512 crypt (-2, -5), apr1-MD5 (-m) or {SHA} (-s) hashes; plain text is refused. Reloaded when it changes. Required.", b => b.Htpasswd, (b, v) => b with { Htpasswd = v }, "required" },
            { "realm", Types.NonEmptyText, "The realm named in WWW-Authenticate; browsers show it in the password prompt.", b => b.Realm, (b, v) => b with { Realm = v } },
        };
        table.Check((auth, node, context, path) =>
        {
            if (node["htpasswd"] is null)
            {
                context.Error(node, path, "basic_auth needs an htpasswd file", "basic_auth = { htpasswd = \"users.htpasswd\", realm = \"Staff\" }; make it with: htpasswd -B -c users.htpasswd NAME");
            }
            return auth;
        });
        return table;
    }
}

/// <summary>
/// A table, or <c>false</c> to turn off what a route would inherit from its site. Reading <c>true</c> is refused:
/// there is nothing it could mean without the table's settings.
/// </summary>
public sealed class TableOrOffType<T>(ConfigTable<T> table, T off, string example) : ValueType<T?> where T : class
{
    public override string Expected => $"a table such as {example}, or false";

    public override IConfigTable Table => table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out T? value)
    {
        value = null;
        switch (node)
        {
            case TomlScalar { Value: false }:
                value = off;
                return true;
            case TomlTable toml:
                int errors = context.Diagnostics.Items.Count(item => item.IsError);
                value = table.Read(toml, context, path);
                return context.Diagnostics.Items.Count(item => item.IsError) == errors;
            default:
                context.Expected(node, path, Expected, node is TomlScalar { Value: true } ? $"give its settings: {example}" : null);
                return false;
        }
    }

    public override PrintedValue? Print(T? value) =>
        value is null ? null : ReferenceEquals(value, off) ? new InlineValue("false") : new InlineValue(TableType<T>.InlineText(table.Print(value)));

    public override void WriteSchema(JsonObject schema) =>
        schema["oneOf"] = new JsonArray(new JsonObject { ["const"] = false }, new JsonObject { ["$ref"] = SchemaRefs.For(table) });
}

/// <summary>The address lists of <c>allow</c> and <c>deny</c>: IP addresses and CIDR ranges.</summary>
public static class AddressRules
{
    public static readonly TextType AddressOrRange = new("an IP address or CIDR range", text =>
        TryParse(text, out _) ? null : ($"\"{text}\" is not an IP address or CIDR range", "write e.g. \"192.0.2.7\", \"10.0.0.0/8\", \"2001:db8::/32\""),
        pattern: null);

    /// <summary>"10.0.0.0/8", "192.0.2.7" (a /32), "::1"; the base address must be the range's first (10.1.2.3/8 is a typo).</summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        network = default;
        int slash = text.IndexOf('/');
        string address = slash < 0 ? text : text[..slash];
        // IPAddress.TryParse reads "10" or "10.1" as IPv4 shorthand: nobody writing an access list means that.
        if ((!address.Contains(':') && address.Count(c => c == '.') != 3) || address.Contains('%') || !IPAddress.TryParse(address, out IPAddress? ip))
        {
            return false;
        }
        int bits = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        int length = bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out length) || length > bits))
        {
            return false;
        }
        if (ip.IsIPv4MappedToIPv6 && length == 128)
        {
            ip = ip.MapToIPv4();
            length = 32;
        }
        try
        {
            network = new IPNetwork(ip, length);
        }
        catch (ArgumentException)
        {
            return false;
        }
        // 10.1.2.3/8 is most likely a typing mistake; Python's ip_network (gunicorn's parser) refuses it too.
        return network.BaseAddress.Equals(ip);
    }

    /// <summary>As <see cref="TryParse"/>, and an IPv6 address may stand in brackets ("[::1]", "[fd00::]/8"), as proxy
    /// lists (--forwarded-allow-ips) are written.</summary>
    public static bool TryParseBracketed(string text, out IPNetwork network)
    {
        int slash = text.IndexOf('/');
        string address = slash < 0 ? text : text[..slash];
        return address.StartsWith('[') && address.EndsWith(']')
            ? TryParse(address[1..^1] + (slash < 0 ? "" : text[slash..]), out network)
            : TryParse(text, out network);
    }
}

/// <summary>
/// Who may use a site or a route: basic authentication, address lists, rate limits. A route's setting replaces its
/// site's; one it leaves unset is inherited (nginx's inheritance of <c>auth_basic</c>, <c>allow</c>/<c>deny</c> and
/// <c>limit_req</c>). Checked in order: addresses (403), rate (429), password (401).
/// </summary>
public sealed record AccessConfig
{
    public static AccessConfig None { get; } = new();

    /// <summary>null: inherited; <see cref="BasicAuthConfig.Off"/>: turned off.</summary>
    public BasicAuthConfig? BasicAuth { get; init; }

    /// <summary>Only these addresses may come in; null: inherited (none: everyone).</summary>
    public IReadOnlyList<string>? Allow { get; init; }

    /// <summary>These addresses are refused, before <see cref="Allow"/> is looked at; null: inherited.</summary>
    public IReadOnlyList<string>? Deny { get; init; }

    public RateLimitConfig? RateLimit { get; init; }

    /// <summary>A route's rules over its site's: each one set here wins; "off" ones become null.</summary>
    public AccessConfig Over(AccessConfig site) => new()
    {
        BasicAuth = (BasicAuth ?? site.BasicAuth) is { Enabled: true } auth ? auth : null,
        Allow = Allow ?? site.Allow,
        Deny = Deny ?? site.Deny,
        RateLimit = (RateLimit ?? site.RateLimit) is { Enabled: true } limit ? limit : null,
    };

    public bool IsEmpty => BasicAuth is not { Enabled: true } && (Allow is null || Allow.Count == 0) && (Deny is null || Deny.Count == 0) && RateLimit is not { Enabled: true };

    /// <summary>The four keys, written flat in <c>[[site]]</c> and <c>[[site.route]]</c>.</summary>
    public static void AddKeys<T>(ConfigTable<T> table, string level, Func<T, AccessConfig> get, Func<T, AccessConfig, T> set)
    {
        string inherit = level == "route" ? " A route's setting replaces its site's; false turns the site's off." : "";
        table.Add("basic_auth", new TableOrOffType<BasicAuthConfig>(BasicAuthConfig.Table, BasicAuthConfig.Off, "{ htpasswd = \"users.htpasswd\", realm = \"Staff\" }"),
            "Ask for a user and password from an htpasswd file (401 without them): { htpasswd = \"FILE\", realm = \"...\" }." + inherit,
            r => get(r).BasicAuth, (r, v) => set(r, get(r) with { BasicAuth = v }), level == "route" ? "the site's" : "none");
        table.Add("allow", Types.Optional(Types.List(AddressRules.AddressOrRange)),
            "Only clients with these addresses or CIDR ranges may come in; others get 403. The address is the one forwarded_allow_ips resolves." + (level == "route" ? " Replaces the site's list." : ""),
            r => get(r).Allow, (r, v) => set(r, get(r) with { Allow = v }), level == "route" ? "the site's" : "everyone");
        table.Add("deny", Types.Optional(Types.List(AddressRules.AddressOrRange)),
            "Clients with these addresses or CIDR ranges get 403, even if allow lists them (nginx: deny before allow)." + (level == "route" ? " Replaces the site's list." : ""),
            r => get(r).Deny, (r, v) => set(r, get(r) with { Deny = v }), level == "route" ? "the site's" : "nobody");
        table.Add("rate_limit", new TableOrOffType<RateLimitConfig>(RateLimitConfig.Table, RateLimitConfig.Off, "{ rate = \"10r/s\", burst = 20 }"),
            "Limit requests per client: { rate = \"10r/s\", burst = 20, nodelay = true, key = \"client\", max_concurrent = 10 }; over it 429 with Retry-After." + (level == "route" ? " Each route with its own rate_limit counts on its own; one that inherits shares its site's counters; false turns it off." : " Counted across the site's routes."),
            r => get(r).RateLimit, (r, v) => set(r, get(r) with { RateLimit = v }), level == "route" ? "the site's" : "none");
    }
}
