using PyHost.Workers.Python;

namespace PyHost.Hosting.Operations;

/// <summary>
/// A bug in PyHost itself (not a user mistake): one line on stderr, and the .NET details in a file it names, so that
/// the terminal or the journal never shows a stack trace for something the user can fix, and a bug report has all.
/// </summary>
public static class InternalError
{
    public static string Report(Exception exception)
    {
        string path = Path.Combine(RuntimeDirectory.Parent, $"pyhost-crash-{Environment.ProcessId}.log");
        string where;
        try
        {
            File.WriteAllText(path, $"pyhost {typeof(InternalError).Assembly.GetName().Version?.ToString(3)}, {DateTimeOffset.Now:O}\n"
                                    + $"{string.Join(' ', Environment.GetCommandLineArgs())}\n\n{exception}\n");
            where = $"the details are in {path}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            where = "the details could not be written";
        }
        string line = $"pyhost: internal error: {exception.GetType().Name}: {exception.Message.Split('\n')[0]} — a bug in PyHost; {where}. Please report it.";
        Console.Error.WriteLine(Logging.ErrorLog.ErrorPrefixForStandardError() + line);
        return line;
    }
}
