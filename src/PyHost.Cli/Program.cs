using System.CommandLine;
using PyHost.Cli;
using PyHost.Hosting.Operations;
using PyHost.Workers.Posix;

// Signals inherited as ignored (nohup, a script's background job) get their default back before .NET looks at them:
// .NET leaves an ignored signal ignored, and SIGHUP, SIGINT and SIGQUIT would then do nothing (SignalRouter).
foreach (int signal in SignalRouter.Handled)
{
    LibC.ResetIfIgnored(signal);
}
// A bug in PyHost on a thread of its own: one line, the details in a file (InternalError), not a stack trace.
AppDomain.CurrentDomain.UnhandledException += (_, unhandled) =>
{
    if (unhandled.ExceptionObject is Exception exception)
    {
        InternalError.Report(exception);
    }
};

// Exit statuses: 0 stopped cleanly, 1 runtime failure (e.g. cannot bind), 2 bad command line,
// 3 workers cannot start, 4 the app cannot be imported (gunicorn's numbers for the last two).
// Socket completions run on the epoll thread instead of hopping to the thread pool: with Kestrel's inline scheduling
// (HttpFront) a request crosses no thread between client and worker. Read once, when the first socket is made, so it
// is set here before anything else. Measured on 2 cores: 21k → 26k req/s for hello world.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

// `serve` reads its arguments with the configuration's own reader (one table of settings for flags, environment and
// config files); System.CommandLine shows its help.
if (args.Length > 0 && args[0] == "serve" && !args.Skip(1).Any(arg => arg is "--help" or "-h" or "-?"))
{
    return await ServeCommand.RunAsync(args[1..]);
}

var root = new RootCommand("PyHost: web server and application server for Python WSGI apps, in one program.");
Command serve = ServeCommand.Create();
root.Subcommands.Add(serve);
// The commands list would show "serve <APP>", as if APP were required; it is optional (PyHost finds the app).
if (root.Options.OfType<System.CommandLine.Help.HelpOption>().FirstOrDefault() is { Action: System.CommandLine.Help.HelpAction help } helpOption)
{
    helpOption.Action = new OptionalAppHelp(help);
}
root.Subcommands.Add(TrustCommand.Create());
foreach (Command command in ControlCommands.Create())
{
    root.Subcommands.Add(command);
}
foreach (Command command in ConfigCommandsCli.Create())
{
    root.Subcommands.Add(command);
}

ParseResult parsed = root.Parse(args);
// `pyhost scale --help` asks for help, not for N: help wins over the errors of a command line that asks for it.
if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction and not OptionalAppHelp)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"pyhost: error: {error.Message}");
    }
    Console.Error.WriteLine("Try 'pyhost serve --help'.");
    return 2;
}
// PyHost shuts down gracefully on SIGINT/SIGTERM itself; the parser must not cut that short.
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

/// <summary>The root help with "serve [APP]" in its command list: System.CommandLine writes every argument there as
/// required ("serve &lt;APP&gt;"), and APP is optional.</summary>
internal sealed class OptionalAppHelp(System.CommandLine.Help.HelpAction standard) : System.CommandLine.Invocation.SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        InvocationConfiguration configuration = parseResult.InvocationConfiguration;
        TextWriter output = configuration.Output;
        var captured = new StringWriter();
        configuration.Output = captured;
        try
        {
            standard.Invoke(parseResult);
        }
        finally
        {
            configuration.Output = output;
        }
        output.Write(captured.ToString().Replace("  serve <APP>", "  serve [APP]"));
        return 0;
    }
}
