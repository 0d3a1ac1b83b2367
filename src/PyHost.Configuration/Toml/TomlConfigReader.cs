using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Toml;

/// <summary>
/// Reads <c>pyhost.toml</c>, or the <c>[tool.pyhost]</c> table of a <c>pyproject.toml</c>, into the model. Every
/// problem is collected with its file:line:column; the model is null when there was any error.
/// </summary>
public static class TomlConfigReader
{
    public static bool IsPyProject(string path) => string.Equals(Path.GetFileName(path), "pyproject.toml", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads a file; relative paths in it are relative to its directory. Messages name it as
    /// <paramref name="displayName"/> (as the user wrote it), else by <paramref name="path"/>.
    /// </summary>
    public static PyHostConfig? ReadFile(string path, DiagnosticBag diagnostics, string? displayName = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Error(new FileOrigin(displayName ?? path, 0, 0), "", $"cannot read the config file: {ex.Message}");
            return null;
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        return Read(text, displayName ?? path, directory, diagnostics) is { } config ? config with { SourceText = text } : null;
    }

    /// <summary>Reads TOML text; <paramref name="fileName"/> names it in messages.</summary>
    public static PyHostConfig? Read(string text, string fileName, string baseDirectory, DiagnosticBag diagnostics)
    {
        TomlTable? document = TomlDocumentReader.Read(text, fileName, diagnostics);
        if (document is null)
        {
            return null;
        }
        TomlTable? root = document;
        if (IsPyProject(fileName))
        {
            root = (document["tool"] as TomlTable)?["pyhost"] as TomlTable;
            if (root is null)
            {
                diagnostics.Error(new FileOrigin(fileName, 0, 0), "tool.pyhost", "this pyproject.toml has no [tool.pyhost] table",
                    "add the PyHost settings under [tool.pyhost], e.g. [tool.pyhost.app.main] module = \"app:app\"");
                return null;
            }
        }
        var origins = new Dictionary<string, SettingOrigin>(StringComparer.Ordinal);
        var context = new ReadContext(diagnostics, origins, baseDirectory);
        int errorsBefore = diagnostics.Items.Count(item => item.IsError);
        PyHostConfig config = PyHostConfig.Table.Read(root, context, "");
        if (diagnostics.Items.Count(item => item.IsError) > errorsBefore)
        {
            return null;
        }
        return config with { Provenance = new ConfigProvenance(origins), SourceFile = fileName };
    }

    /// <summary>Whether a pyproject.toml has a [tool.pyhost] table (for finding the config file).</summary>
    public static bool HasToolTable(string pyprojectPath)
    {
        try
        {
            var quiet = new DiagnosticBag();
            TomlTable? document = TomlDocumentReader.Read(File.ReadAllText(pyprojectPath), pyprojectPath, quiet);
            return (document?["tool"] as TomlTable)?["pyhost"] is TomlTable;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
