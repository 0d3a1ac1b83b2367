using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// <c>Strict-Transport-Security</c> on a site's HTTPS responses (RFC 6797): <c>hsts = true</c> for a year, or
/// <c>hsts = { max_age = "365d", include_subdomains = true, preload = false }</c>.
/// </summary>
public sealed record HstsConfig
{
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(365);

    public bool IncludeSubdomains { get; init; }

    public bool Preload { get; init; }

    /// <summary>The header value: <c>max-age=31536000; includeSubDomains</c>.</summary>
    public string HeaderValue =>
        $"max-age={(long)MaxAge.TotalSeconds}{(IncludeSubdomains ? "; includeSubDomains" : "")}{(Preload ? "; preload" : "")}";

    public static ConfigTable<HstsConfig> Table { get; } = new("site.hsts", "Strict-Transport-Security settings.", () => new HstsConfig())
    {
        { "max_age", Types.Duration, "How long browsers remember to use HTTPS only.", h => h.MaxAge, (h, v) => h with { MaxAge = v } },
        { "include_subdomains", Types.Boolean, "Also every subdomain (includeSubDomains).", h => h.IncludeSubdomains, (h, v) => h with { IncludeSubdomains = v } },
        { "preload", Types.Boolean, "Ask to be put on browsers' preload lists (preload).", h => h.Preload, (h, v) => h with { Preload = v } },
    };
}

/// <summary>Reads <c>true</c>/<c>false</c> or a table.</summary>
public sealed class HstsType : ValueType<HstsConfig?>
{
    public override string Expected => "true, false or { max_age = \"365d\", include_subdomains = true }";

    public override IConfigTable Table => HstsConfig.Table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out HstsConfig? value)
    {
        value = null;
        switch (node)
        {
            case TomlScalar { Value: bool on }:
                value = on ? new HstsConfig() : null;
                return true;
            case TomlTable table:
                int errors = context.Diagnostics.Items.Count(item => item.IsError);
                value = HstsConfig.Table.Read(table, context, path);
                return context.Diagnostics.Items.Count(item => item.IsError) == errors;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
    }

    public override PrintedValue? Print(HstsConfig? value) =>
        value is null ? null : new InlineValue(TableType<HstsConfig>.InlineText(HstsConfig.Table.Print(value)));

    public override void WriteSchema(JsonObject schema) =>
        schema["oneOf"] = new JsonArray(new JsonObject { ["type"] = "boolean" }, new JsonObject { ["$ref"] = SchemaRefs.For(HstsConfig.Table) });
}
