using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Tests.Toml;

public class TomlDocumentReaderTests
{
    private static TomlTable Read(string text)
    {
        var diagnostics = new DiagnosticBag();
        TomlTable? root = TomlDocumentReader.Read(text, "t.toml", diagnostics);
        Assert.True(root is not null, string.Join("\n", diagnostics.Items));
        return root!;
    }

    [Fact]
    public void EveryValueKeepsItsLineAndColumn()
    {
        TomlTable root = Read("a = 1\n\n[t]\n  name = \"x\"\n  list = [1,\n    2]\n");
        Assert.Equal(new FileOrigin("t.toml", 1, 5), root["a"]!.Origin);
        var table = (TomlTable)root["t"]!;
        Assert.Equal(new FileOrigin("t.toml", 3, 1), table.Origin);
        Assert.Equal(new FileOrigin("t.toml", 4, 3), table.Entry("name")!.KeyOrigin);
        Assert.Equal(new FileOrigin("t.toml", 4, 10), table["name"]!.Origin);
        var list = (TomlArray)table["list"]!;
        Assert.Equal(new FileOrigin("t.toml", 6, 5), list.Items[1].Origin);
    }

    [Fact]
    public void DottedKeysAndHeadersBuildNestedTables()
    {
        TomlTable root = Read("a.b.c = 1\n[x.y]\nz = true\n[x]\nw = \"s\"\n");
        Assert.Equal(1L, ((TomlScalar)((TomlTable)((TomlTable)root["a"]!)["b"]!)["c"]!).Value);
        var x = (TomlTable)root["x"]!;
        Assert.Equal(true, ((TomlScalar)((TomlTable)x["y"]!)["z"]!).Value);
        Assert.Equal("s", ((TomlScalar)x["w"]!).Value);
        Assert.Equal(new FileOrigin("t.toml", 4, 1), x.Origin);
    }

    [Fact]
    public void ArraysOfTablesCollectTheirEntriesAndNestedArraysGoToTheLastOne()
    {
        TomlTable root = Read("[[site]]\nname = \"a\"\n[[site.route]]\npath = \"/1\"\n[[site]]\nname = \"b\"\n[[site.route]]\npath = \"/2\"\n[[site.route]]\npath = \"/3\"\n");
        var sites = (TomlArray)root["site"]!;
        Assert.True(sites.IsArrayOfTables);
        Assert.Equal(2, sites.Items.Count);
        Assert.Single(((TomlArray)((TomlTable)sites.Items[0])["route"]!).Items);
        Assert.Equal(2, ((TomlArray)((TomlTable)sites.Items[1])["route"]!).Items.Count);
    }

    [Fact]
    public void InlineTablesAndQuotedKeysAreTables()
    {
        TomlTable root = Read("r = { status = 301, \"Content-Type\" = \"text/plain\" }\n");
        var table = (TomlTable)root["r"]!;
        Assert.Equal(301L, ((TomlScalar)table["status"]!).Value);
        Assert.Equal("text/plain", ((TomlScalar)table["Content-Type"]!).Value);
    }

    [Fact]
    public void SyntaxErrorsAreReportedWithTheirPlaceAndAHint()
    {
        var diagnostics = new DiagnosticBag();
        Assert.Null(TomlDocumentReader.Read("[app.main]\nmodule = app:app\n", "pyhost.toml", diagnostics));
        ConfigDiagnostic error = Assert.Single(diagnostics.Items);
        Assert.StartsWith("pyhost.toml:2:", error.ToString());
        Assert.Contains("invalid TOML", error.Message);
        Assert.Contains("quoted", error.Hint);
    }

    [Fact]
    public void AKeyWrittenTwiceIsAnError()
    {
        var diagnostics = new DiagnosticBag();
        Assert.Null(TomlDocumentReader.Read("workers = 1\nworkers = 2\n", "pyhost.toml", diagnostics));
        ConfigDiagnostic error = Assert.Single(diagnostics.Items);
        Assert.StartsWith("pyhost.toml:2:1: error:", error.ToString());
        Assert.Contains("already defined", error.Message);
    }
}
