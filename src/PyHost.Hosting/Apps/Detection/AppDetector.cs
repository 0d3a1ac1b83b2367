using System.Text.RegularExpressions;

namespace PyHost.Hosting.Apps.Detection;

/// <summary>
/// What `pyhost serve` without APP finds in the app directory: a Django project (manage.py), and each of wsgi.py,
/// app.py and application.py that defines <c>application</c> or <c>app</c> at module level. The files are read, not
/// imported: importing runs the app's code, and the worker does that anyway, with a traceback and a hint if the
/// guess was wrong. More than one candidate is the user's choice to make, not PyHost's.
/// </summary>
public static class AppDetector
{
    /// <summary>The module files looked at, in the order candidates are listed.</summary>
    private static readonly string[] ModuleFiles = ["wsgi.py", "app.py", "application.py"];

    /// <summary>The WSGI names looked for: PEP 3333's convention (gunicorn's default) first, then Flask's and Bottle's.</summary>
    private static readonly string[] AppNames = ["application", "app"];

    public static IReadOnlyList<AppCandidate> FindCandidates(string directory)
    {
        var candidates = new List<AppCandidate>();
        if (DjangoProject.Find(directory) is { } django)
        {
            candidates.Add(django);
        }
        foreach (string file in ModuleFiles)
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                continue;
            }
            IReadOnlySet<string> names = PythonModuleNames.DefinedAtTopLevel(ReadText(path));
            if (AppNames.FirstOrDefault(names.Contains) is { } name)
            {
                candidates.Add(new AppCandidate($"{Path.GetFileNameWithoutExtension(file)}:{name}", $"{file} defines '{name}'"));
            }
        }
        return candidates;
    }

    /// <summary>A file's text; an unreadable file reads as empty (it is then no candidate).</summary>
    internal static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>A string literal assigned or passed in Python source: 'text' or "text".</summary>
    internal static Regex QuotedName(string before) => new(before + @"\s*['""]([A-Za-z_][\w.]*)['""]", RegexOptions.Multiline);
}
