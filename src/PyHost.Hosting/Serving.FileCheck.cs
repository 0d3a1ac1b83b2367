using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;
using PyHost.Configuration.Validation;

namespace PyHost.Hosting;

// The one exit-status policy of a start: a file or directory the configuration names that is not there is a mistake
// in the configuration, found here before anything starts, exit status 2 as for a bad flag; a socket, log or pid file
// that cannot be made is found by the step that makes it, exit status 1 with the system's reason (StartupException).
public static partial class Serving
{
    public const int ConfigurationMistake = 2;

    /// <summary><c>pyhost check</c>'s check of what the configuration names on disk; false after printing each problem.</summary>
    private static bool ConfiguredFilesExist(PyHostConfig config)
    {
        var problems = new DiagnosticBag();
        FileSystemCheck.CheckInputs(config, problems);
        foreach (ConfigDiagnostic problem in problems.Items)
        {
            Console.Error.WriteLine($"pyhost: {problem}");
        }
        return !problems.HasErrors;
    }
}
