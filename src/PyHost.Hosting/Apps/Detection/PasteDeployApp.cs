using System.Diagnostics.CodeAnalysis;

namespace PyHost.Hosting.Apps.Detection;

/// <summary>
/// <c>--paste FILE[#SECTION]</c>: the app is the <c>[app:SECTION]</c> of a PasteDeploy ini file (default
/// <c>main</c>), as <c>pserve</c> and <c>gunicorn --paste</c> load it. The workers get it as the spec
/// <c>config:/absolute/file.ini#section</c>, PasteDeploy's own URI form, which no module spec can be mistaken for.
/// </summary>
public sealed record PasteDeployApp(string ConfigFile, string Section)
{
    public string Spec => $"config:{ConfigFile}#{Section}";

    /// <summary>FILE is relative to the current directory, as gunicorn reads it; it must exist.</summary>
    public static bool TryCreate(string text, [NotNullWhen(true)] out PasteDeployApp? app, [NotNullWhen(false)] out string? error)
    {
        app = null;
        int hash = text.IndexOf('#');
        string file = hash < 0 ? text : text[..hash];
        string section = hash < 0 ? "main" : text[(hash + 1)..];
        if (file.Length == 0 || section.Length == 0)
        {
            error = $"'{text}': expected an ini file, optionally with #SECTION (e.g. development.ini or development.ini#main)";
            return false;
        }
        string path = Path.GetFullPath(file);
        if (!File.Exists(path))
        {
            error = $"'{text}': no such file: {path}";
            return false;
        }
        app = new PasteDeployApp(path, section);
        error = null;
        return true;
    }
}
