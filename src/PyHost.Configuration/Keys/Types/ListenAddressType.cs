using System.Text.Json.Nodes;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Keys.Types;

/// <summary>A <see cref="ListenAddress"/>: HOST:PORT, [V6]:PORT, unix:PATH, uwsgi://HOST:PORT, uwsgi+unix:PATH, ...</summary>
public sealed class ListenAddressType : ValueType<ListenAddress>
{
    public override string Expected => "an address: \"HOST:PORT\", \"[::1]:PORT\", \"unix:PATH\", \"uwsgi://HOST:PORT\", ...";

    public override bool TryRead(TomlNode node, ReadContext context, string path, out ListenAddress value)
    {
        value = null!;
        if (node is not TomlScalar { Value: string text })
        {
            context.Expected(node, path, Expected, node is TomlScalar { Value: long } ? "an address is a string with a host: \"0.0.0.0:8000\"" : null);
            return false;
        }
        if (!ListenAddress.TryParse(text, context.BaseDirectory, out ListenAddress? address, out string? error))
        {
            context.Error(node, path, error, "e.g. \"127.0.0.1:8000\", \"[::]:443\", \"unix:/run/site.sock\", \"uwsgi://127.0.0.1:3031\"");
            return false;
        }
        value = address;
        return true;
    }

    public override PrintedValue Print(ListenAddress value) => new InlineValue(TomlDocumentReader.Quote(value.Text));

    public override void WriteSchema(JsonObject schema)
    {
        schema["type"] = "string";
        schema["minLength"] = 1;
    }
}
