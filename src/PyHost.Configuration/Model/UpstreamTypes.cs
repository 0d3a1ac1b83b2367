using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>An <see cref="UpstreamAddress"/>: "http://HOST:PORT", "https://HOST:PORT", "HOST:PORT" or "unix:PATH".</summary>
public sealed class UpstreamAddressType : ValueType<UpstreamAddress>
{
    public const string Hint = "e.g. \"http://127.0.0.1:9000\", \"https://app.internal:8443\", \"unix:/run/app.sock\"";

    public override string Expected => "an upstream server: \"http://HOST:PORT\", \"unix:PATH\", ...";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out UpstreamAddress value)
    {
        value = null!;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected);
            return false;
        }
        if (!UpstreamAddress.TryParse(text, context.BaseDirectory, out UpstreamAddress? address, out string? error))
        {
            context.Error(node, path, error, Hint);
            return false;
        }
        value = address;
        return true;
    }

    public override PrintedValue Print(UpstreamAddress value) => new InlineValue(TomlDocumentReader.Quote(value.Text));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["minLength"] = 1;
    }
}

/// <summary>A server of an upstream: its address alone, or a table with a weight and a connection limit.</summary>
public sealed class UpstreamServerType : ValueType<UpstreamServerConfig>
{
    private static readonly UpstreamAddressType AddressType = new();

    public override string Expected => "an upstream server: \"http://HOST:PORT\", \"unix:PATH\" or { address = \"...\", weight = 2 }";

    public override IConfigTable Table => UpstreamServerConfig.Table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out UpstreamServerConfig value)
    {
        value = null!;
        switch (node)
        {
            case TomlScalar { Value: string }:
                if (!AddressType.TryRead(node, context, path, out UpstreamAddress address))
                {
                    return false;
                }
                value = new UpstreamServerConfig { Address = address };
                return true;
            case TomlTable table:
                int errors = context.Diagnostics.Items.Count(item => item.IsError);
                value = UpstreamServerConfig.Table.Read(table, context, path);
                return context.Diagnostics.Items.Count(item => item.IsError) == errors;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
    }

    public override PrintedValue Print(UpstreamServerConfig value) =>
        value.Weight == 1 && value.MaxConnections is null
            ? AddressType.Print(value.Address)
            : new InlineValue(TableType<UpstreamServerConfig>.InlineText(UpstreamServerConfig.Table.Print(value)));

    public override void WriteSchema(JsonObject schema) =>
        schema["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string", ["minLength"] = 1 }, new JsonObject { ["$ref"] = SchemaRefs.For(UpstreamServerConfig.Table) });
}

/// <summary>A route's <c>proxy</c>: the name of an <c>[upstream.NAME]</c>, or one server's address.</summary>
public sealed class ProxyTargetType : ValueType<ProxyTarget?>
{
    private static readonly UpstreamAddressType AddressType = new();

    public override string Expected => "an upstream name, or a server such as \"http://127.0.0.1:9000\"";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out ProxyTarget? value)
    {
        value = null;
        if (node is not TomlScalar { Value: string text } || text.Length == 0)
        {
            context.Expected(node, path, Expected, "proxy = \"backend\" names [upstream.backend]; proxy = \"http://127.0.0.1:9000\" is one server");
            return false;
        }
        if (ProxyTarget.LooksLikeAddress(text))
        {
            if (!AddressType.TryRead(node, context, path, out UpstreamAddress address))
            {
                return false;
            }
            value = new ProxyTarget { Server = address };
            return true;
        }
        value = new ProxyTarget { Upstream = text };
        return true;
    }

    public override PrintedValue? Print(ProxyTarget? value) =>
        value is null ? null : new InlineValue(TomlDocumentReader.Quote(value.Upstream ?? value.Server!.Text));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["minLength"] = 1;
    }
}
