using System.Text.Json.Nodes;
using PyHost.Configuration.Schema;

namespace PyHost.Configuration.Tests.Schema;

/// <summary>The committed JSON Schema, the reader and the examples agree with one another.</summary>
public class SchemaAgreementTests
{
    public static TheoryData<string> ExampleConfigs() => new(ExampleConfigPaths());

    private static List<string> ExampleConfigPaths()
    {
        string examples = Path.Combine(TestFiles.RepositoryRoot, "examples");
        var files = Directory.EnumerateFiles(examples, "*.toml", SearchOption.AllDirectories)
            .Where(path => !TomlConfigReaderIsPyProject(path) || File.ReadAllText(path).Contains("[tool.pyhost", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(TestFiles.RepositoryRoot, path)).Order().ToList();
        return files;
    }

    private static bool TomlConfigReaderIsPyProject(string path) => PyHost.Configuration.Toml.TomlConfigReader.IsPyProject(path);

    [Fact]
    public void TheRepositoryHasExampleConfigs() => Assert.True(ExampleConfigPaths().Count >= 6);

    [Theory]
    [MemberData(nameof(ExampleConfigs))]
    public void EveryExampleConfigIsValidByTheSchema(string relativePath)
    {
        string path = Path.Combine(TestFiles.RepositoryRoot, relativePath);
        Assert.Empty(TomlJson.SchemaErrors(TomlJson.ConfigAsJson(File.ReadAllText(path), Path.GetFileName(path))));
    }

    [Theory]
    [MemberData(nameof(ExampleConfigs))]
    public void EveryExampleConfigIsReadWithoutAProblem(string relativePath)
    {
        string path = Path.Combine(TestFiles.RepositoryRoot, relativePath);
        ConfigLoadResult result = ConfigLoader.Load(new ConfigRequest
        {
            Arguments = ["-c", Path.GetFileName(path)],
            Environment = ConfigEnvironment.From(new Dictionary<string, string>(), Path.GetDirectoryName(path)!),
        });
        Assert.True(result.Succeeded && !result.Diagnostics.Any(), string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void TheSchemaHasExactlyTheKeysTheReaderTakes()
    {
        JsonObject schema = JsonNode.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "docs", "pyhost.schema.json")))!.AsObject();
        var fromSchema = new List<string>();
        WalkSchema(schema, schema, "", fromSchema, []);
        Assert.Equal(ConfigTables.KeyPaths().Order(), fromSchema.Order());
    }

    /// <summary>Key paths as the schema file defines them, read without the writer's help.</summary>
    private static void WalkSchema(JsonObject root, JsonObject node, string prefix, List<string> paths, HashSet<string> visiting)
    {
        if (node["$ref"] is JsonValue reference)
        {
            string name = reference.GetValue<string>().Split('/')[^1];
            if (visiting.Add(name))
            {
                WalkSchema(root, root["$defs"]![name]!.AsObject(), prefix, paths, visiting);
                visiting.Remove(name);
            }
            return;
        }
        foreach (JsonNode? choice in node["oneOf"]?.AsArray() ?? [])
        {
            WalkSchema(root, choice!.AsObject(), prefix, paths, visiting);
        }
        if (node["items"] is JsonObject items)
        {
            WalkSchema(root, items, prefix + "[]", paths, visiting);
        }
        if (node["additionalProperties"] is JsonObject map && map.ContainsKey("$ref"))
        {
            WalkSchema(root, map, prefix + ".*", paths, visiting);
        }
        foreach (var (key, property) in node["properties"]?.AsObject() ?? [])
        {
            string path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            paths.Add(path);
            WalkSchema(root, property!.AsObject(), path, paths, visiting);
        }
    }

    [Fact]
    public void EveryKeyHasADescriptionInTheSchema()
    {
        string text = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "docs", "pyhost.schema.json"));
        JsonObject schema = JsonNode.Parse(text)!.AsObject();
        foreach (var (name, definition) in schema["$defs"]!.AsObject())
        {
            foreach (var (key, property) in definition!["properties"]!.AsObject())
            {
                Assert.False(string.IsNullOrWhiteSpace(property!["description"]?.GetValue<string>()), $"{name}.{key} has no description");
            }
        }
    }

    [Theory]
    [InlineData("zz = 1\n")]
    [InlineData("[server]\nzz = 1\n")]
    [InlineData("[log]\nzz = 1\n")]
    [InlineData("[[listen]]\naddress = \":80\"\nzz = 1\n")]
    [InlineData("[[listen]]\naddress = \":80\"\nlimits = { zz = 1 }\n")]
    [InlineData("[[site]]\nzz = 1\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\nhsts = { zz = 1 }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\ntls = { certificate = \"a\", key = \"b\", zz = 1 }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\n[[site.route]]\napp = \"a\"\nzz = 1\n")]
    [InlineData("[[site]]\n[[site.route]]\nredirect = { location = \"/\", zz = 1 }\n")]
    [InlineData("[[site]]\n[[site.route]]\nrespond = { zz = 1 }\n")]
    [InlineData("[app.a]\nzz = 1\n")]
    [InlineData("[[site]]\ncompression = { zz = 1 }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\ncompression = { levels = { zz = 1 } }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\n[[site.route]]\nstatic = \"x\"\ncache_control = [{ match = \"a\", value = \"b\", zz = 1 }]\n")]
    public void AnUnknownKeyIsRefusedByBothTheSchemaAndTheReader(string text)
    {
        Assert.NotEmpty(TomlJson.SchemaErrors(TomlJson.ConfigAsJson(text, "pyhost.toml")));
        var (config, diagnostics) = Toml.TomlTestRead.Read(text);
        Assert.Null(config);
        Assert.Contains(diagnostics, diagnostic => diagnostic.Message.StartsWith("unknown key 'zz'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[[site]]\n[[site.route]]\nproxy = \"http://127.0.0.1:9000\"\n")]
    [InlineData("[app.a]\nworkers = \"four\"\n")]
    [InlineData("[log]\nlevel = \"loud\"\n")]
    [InlineData("[[listen]]\naddress = \":80\"\ntls = \"maybe\"\n")]
    [InlineData("[app.a]\ntimeout = \"30 seconds\"\n")]
    [InlineData("[app.a]\nmax_worker_memory = \"1 gigabyte\"\n")]
    [InlineData("[[site]]\nhosts = \"example.com\"\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[server]\nforwarded_headers = \"x-real-ip\"\n")]
    [InlineData("[server]\numask = 0o1777\n")]
    [InlineData("[app.a]\npipeline_depth = 65\n")]
    [InlineData("[[site]]\ncompression = { levels = { gzip = 12 } }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\ncompression = { codings = [] }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\nerror_pages = { 401 = \"x.html\" }\n[[site.route]]\napp = \"a\"\n")]
    [InlineData("[[site]]\n[[site.route]]\nstatic = \"x\"\nmax_ranges = 0\n")]
    [InlineData("[[listen]]\naddress = \":80\"\nlimits = { max_header_count = 40000 }\n")]
    public void AWrongValueIsRefusedByBothTheSchemaAndTheReader(string text)
    {
        Assert.NotEmpty(TomlJson.SchemaErrors(TomlJson.ConfigAsJson(text, "pyhost.toml")));
        Assert.Null(Toml.TomlTestRead.Read(text).Config);
    }

    [Fact]
    public void ThePrintedEffectiveConfigOfEveryExampleIsValidByTheSchema()
    {
        foreach (string relativePath in ExampleConfigPaths())
        {
            string path = Path.Combine(TestFiles.RepositoryRoot, relativePath);
            CommandOutput printed = ConfigCommands.Print(new ConfigRequest
            {
                Arguments = ["-c", Path.GetFileName(path)],
                Environment = ConfigEnvironment.From(new Dictionary<string, string>(), Path.GetDirectoryName(path)!),
            });
            Assert.Equal(0, printed.ExitStatus);
            Assert.Empty(TomlJson.SchemaErrors(TomlJson.ConfigAsJson(printed.StandardOutput, "printed.toml")));
        }
    }
}
