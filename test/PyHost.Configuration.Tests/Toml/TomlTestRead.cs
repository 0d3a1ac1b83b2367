using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Tests.Toml;

/// <summary>Reads TOML text as pyhost.toml in /srv, for tests.</summary>
internal static class TomlTestRead
{
    public static (PyHostConfig? Config, IReadOnlyList<ConfigDiagnostic> Diagnostics) Read(string text, string fileName = "pyhost.toml")
    {
        var diagnostics = new DiagnosticBag();
        PyHostConfig? config = TomlConfigReader.Read(text, fileName, "/srv", diagnostics);
        return (config, diagnostics.Items);
    }

    public static PyHostConfig ReadValid(string text)
    {
        var (config, diagnostics) = Read(text);
        Assert.True(config is not null, string.Join("\n", diagnostics));
        Assert.Empty(diagnostics);
        return config!;
    }

    /// <summary>The one error reading gives, as text.</summary>
    public static string OneError(string text)
    {
        var (config, diagnostics) = Read(text);
        Assert.Null(config);
        ConfigDiagnostic error = Assert.Single(diagnostics, diagnostic => diagnostic.IsError);
        return error.ToString();
    }
}
