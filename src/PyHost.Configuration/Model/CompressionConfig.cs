using System.Text.Json.Nodes;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Model;

/// <summary>A content coding responses are compressed with (RFC 9110 §8.4.1): zstd (RFC 8878), br (RFC 7932), gzip.</summary>
public enum CompressionCoding
{
    Zstd,
    Brotli,
    Gzip,
}

/// <summary>
/// A site's <c>compression</c>: the app's responses and static files compressed as the client's Accept-Encoding
/// allows. Present (<c>compression = true</c>, or a table) means on; absent (or <c>false</c>) means off.
/// </summary>
public sealed record CompressionConfig
{
    /// <summary>zstd first: at its default level it compresses as well as gzip at a fraction of the CPU; gzip last, which every client has.</summary>
    public static readonly IReadOnlyList<CompressionCoding> DefaultCodings = [CompressionCoding.Zstd, CompressionCoding.Brotli, CompressionCoding.Gzip];

    /// <summary>The codings by token; flags also take "x-gzip", which RFC 9110 §8.4.1.3 says is gzip.</summary>
    public static readonly ChoiceType<CompressionCoding> CodingType = new(
        [("zstd", CompressionCoding.Zstd), ("br", CompressionCoding.Brotli), ("gzip", CompressionCoding.Gzip)],
        new Dictionary<string, CompressionCoding> { ["x-gzip"] = CompressionCoding.Gzip });

    /// <summary>The codings offered, in the server's order of preference among those a client weighs alike.</summary>
    public IReadOnlyList<CompressionCoding> Codings { get; init; } = DefaultCodings;

    /// <summary>Bodies with a Content-Length below this are sent as they are (nginx gzip_min_length); streamed bodies are compressed.</summary>
    public ByteSize MinLength { get; init; } = new(512);

    public CompressionLevels Levels { get; init; } = new();

    /// <summary>The token on the wire and in the config: "zstd", "br", "gzip".</summary>
    public static string Token(CompressionCoding coding) => CodingType.Choices.First(choice => choice.Value == coding).Name;

    public static ConfigTable<CompressionConfig> Table { get; } = new("site.compression", "Response compression; present means on.", () => new CompressionConfig())
    {
        { "codings", new CodingListType(), "The codings offered, in order of preference: \"zstd\", \"br\", \"gzip\".", c => c.Codings, (c, v) => c with { Codings = v } },
        { "min_length", Types.Size, "Bodies with a Content-Length below this are sent as they are (the coding would cost more than it saves). nginx: gzip_min_length.", c => c.MinLength, (c, v) => c with { MinLength = v } },
        { "levels", Types.Table(CompressionLevels.Table, printInline: true), "Compression level per coding, e.g. { gzip = 6 }; codings not named keep their default.", c => c.Levels, (c, v) => c with { Levels = v } },
    };
}

/// <summary>The level of each coding: higher is smaller and slower. The defaults favour speed, as Caddy's do.</summary>
public sealed record CompressionLevels
{
    /// <summary>zstd, 1 to 19; 3 is the library's default.</summary>
    public int Zstd { get; init; } = 3;

    /// <summary>Brotli quality, 0 to 11; 4 is about gzip 9's size at gzip 5's speed.</summary>
    public int Brotli { get; init; } = 4;

    /// <summary>gzip, 1 to 9; nginx's default is 1, Caddy's 5.</summary>
    public int Gzip { get; init; } = 5;

    public int Of(CompressionCoding coding) => coding switch
    {
        CompressionCoding.Zstd => Zstd,
        CompressionCoding.Brotli => Brotli,
        _ => Gzip,
    };

    public static ConfigTable<CompressionLevels> Table { get; } = new("site.compression.levels", "Compression level per coding.", () => new CompressionLevels())
    {
        { "zstd", Types.Count(1, 19), "zstd level, 1 (fastest) to 19 (smallest).", l => l.Zstd, (l, v) => l with { Zstd = v } },
        { "br", Types.Count(0, 11), "Brotli quality, 0 (fastest) to 11 (smallest).", l => l.Brotli, (l, v) => l with { Brotli = v } },
        { "gzip", Types.Count(1, 9), "gzip level, 1 (fastest) to 9 (smallest).", l => l.Gzip, (l, v) => l with { Gzip = v } },
    };
}

/// <summary>A non-empty list of codings; one named twice counts once, at its first place.</summary>
public sealed class CodingListType : Keys.ValueType<IReadOnlyList<CompressionCoding>>
{
    private static readonly ListType<CompressionCoding> List = Types.List(CompressionConfig.CodingType, splitCommasWhenLenient: true);

    public override string Expected => List.Expected;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out IReadOnlyList<CompressionCoding> value)
    {
        if (!List.TryRead(node, context, path, out value))
        {
            return false;
        }
        if (value.Count == 0)
        {
            context.Error(node, path, "expected one or more of \"zstd\", \"br\", \"gzip\"", "codings = [\"zstd\", \"br\", \"gzip\"]; to turn compression off, remove the compression table");
            return false;
        }
        value = value.Distinct().ToList();
        return true;
    }

    public override PrintedValue Print(IReadOnlyList<CompressionCoding> value) => List.Print(value);

    public override void WriteSchema(JsonObject schema)
    {
        List.WriteSchema(schema);
        schema["minItems"] = 1;
    }
}

/// <summary>Reads <c>true</c> (the defaults), <c>false</c> (off) or a table.</summary>
public sealed class CompressionType : Keys.ValueType<CompressionConfig?>
{
    public override string Expected => "true, false or { codings = [...], min_length = ..., levels = { ... } }";

    public override IConfigTable Table => CompressionConfig.Table;

    public override bool TryRead(TomlNode node, ReadContext context, string path, out CompressionConfig? value)
    {
        value = null;
        switch (node)
        {
            case TomlScalar { Value: bool on }:
                value = on ? new CompressionConfig() : null;
                return true;
            case TomlScalar { Value: string text } when context.Lenient && bool.TryParse(text, out bool on):
                value = on ? new CompressionConfig() : null;
                return true;
            case TomlTable table:
                int errors = context.Diagnostics.Items.Count(item => item.IsError);
                value = CompressionConfig.Table.Read(table, context, path);
                return context.Diagnostics.Items.Count(item => item.IsError) == errors;
            default:
                context.Expected(node, path, Expected);
                return false;
        }
    }

    public override PrintedValue? Print(CompressionConfig? value) => value is null ? null : CompressionConfig.Table.Print(value);

    public override void WriteSchema(JsonObject schema) =>
        schema["oneOf"] = new JsonArray(new JsonObject { ["type"] = "boolean" }, new JsonObject { ["$ref"] = SchemaRefs.For(CompressionConfig.Table) });
}
