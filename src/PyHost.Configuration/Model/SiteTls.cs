using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>
/// A site's certificate: <c>tls = "auto"</c> (obtained for its host names: ACME, or a local CA for names with no
/// public domain) or <c>tls = { certificate = "...", key = "..." }</c> (PEM files, reloaded when they change).
/// </summary>
public sealed record SiteTls
{
    public bool IsAuto { get; init; }

    public string? Certificate { get; init; }

    public string? Key { get; init; }

    public static SiteTls Auto { get; } = new() { IsAuto = true };

    public static ConfigTable<SiteTls> FilesTable { get; } = CreateFilesTable();

    private static ConfigTable<SiteTls> CreateFilesTable()
    {
        var table = new ConfigTable<SiteTls>("site.tls", "A site's certificate from PEM files.", () => new SiteTls())
        {
            { "certificate", Types.Optional(Types.Path), "PEM certificate chain (leaf first). Required.", t => t.Certificate, (t, v) => t with { Certificate = v } },
            { "key", Types.Optional(Types.Path), "PEM private key (RSA or ECDSA). Required.", t => t.Key, (t, v) => t with { Key = v } },
        };
        table.Check((tls, node, context, path) =>
        {
            foreach (string key in new[] { "certificate", "key" })
            {
                if (node[key] is null)
                {
                    context.Error(node, path, $"tls needs '{key}'", "tls = { certificate = \"/etc/ssl/site.pem\", key = \"/etc/ssl/site.key\" }, or tls = \"auto\"");
                }
            }
            return tls;
        });
        return table;
    }
}

/// <summary>Reads <c>"auto"</c> or a table of files.</summary>
public sealed class SiteTlsType : ValueType<SiteTls?>
{
    public override string Expected => "\"auto\" or { certificate = \"...\", key = \"...\" }";

    public override IConfigTable Table => SiteTls.FilesTable;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out SiteTls? value)
    {
        value = null;
        switch (node)
        {
            case TomlScalar { Value: "auto" }:
                value = SiteTls.Auto;
                return true;
            case TomlTable table:
                int errors = context.Diagnostics.Items.Count(item => item.IsError);
                value = SiteTls.FilesTable.Read(table, context, path);
                return context.Diagnostics.Items.Count(item => item.IsError) == errors;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
    }

    public override PrintedValue? Print(SiteTls? value) => value switch
    {
        null => null,
        { IsAuto: true } => new InlineValue("\"auto\""),
        _ => new InlineValue(TableType<SiteTls>.InlineText(SiteTls.FilesTable.Print(value))),
    };

    public override void WriteSchema(JsonObject schema) =>
        schema["oneOf"] = new JsonArray(new JsonObject { ["const"] = "auto" }, new JsonObject { ["$ref"] = SchemaRefs.For(SiteTls.FilesTable) });
}
