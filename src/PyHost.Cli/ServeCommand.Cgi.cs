using System.CommandLine;
using PyHost.Gateways.Cgi;
using PyHost.Http;
using PyHost.Http.Cgi;

namespace PyHost.Cli;

/// <summary><c>--cgi URL_PREFIX=DIR[,EXT]</c>: directories of CGI scripts, run by the front (the configuration file's
/// route target <c>cgi</c> comes with the routing work).</summary>
public static partial class ServeCommand
{
    private static readonly Option<string[]> Cgi = new("--cgi")
    {
        Description = "Run the CGI scripts of DIR for the paths under URL_PREFIX: URL_PREFIX=DIR, URL_PREFIX=DIR,EXT[,EXT] for only "
                      + "the files ending in .cgi, .py, ..., or URL_PREFIX=SCRIPT for one script. One process per request, as the app's user with -u/-g, stopped after --timeout. Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static void AddCgiOptions(Command command)
    {
        command.Options.Add(Cgi);
        command.Validators.Add(result =>
        {
            foreach (string mount in result.GetValue(Cgi) ?? [])
            {
                if (!CgiMount.TryParse(mount, out _, out string? error))
                {
                    result.AddError($"--cgi {error}");
                }
            }
        });
    }

    private static HttpFrontOptions WithCgiOptions(ParseResult parsed, HttpFrontOptions options) => options with
    {
        CgiMounts = (parsed.GetValue(Cgi) ?? [])
            .Select(text => CgiMount.TryParse(text, out CgiMount? mount, out _) ? mount : throw new InvalidOperationException(text))
            .ToList(),
        Cgi = new CgiRunnerOptions
        {
            Timeout = parsed.GetValue(Timeout) is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : System.Threading.Timeout.InfiniteTimeSpan,
            User = parsed.GetValue(User),
            Group = parsed.GetValue(Group),
        },
    };
}
