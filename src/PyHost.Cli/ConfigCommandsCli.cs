using System.CommandLine;
using PyHost.Configuration;
using PyHost.Hosting.Apps;

namespace PyHost.Cli;

/// <summary><c>pyhost check [FILE] [--import]</c> and <c>pyhost config --print [FILE]</c>.</summary>
public static class ConfigCommandsCli
{
    public static IEnumerable<Command> Create()
    {
        var file = new Argument<string?>("FILE")
        {
            Description = "pyhost.toml, a pyproject.toml with [tool.pyhost], or a gunicorn .py file. Default: as `pyhost serve` finds it.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var import = new Option<bool>("--import") { Description = "Also import each app in its interpreter, as it will be served." };
        var check = new Command("check", "Check a configuration without serving it: every error with its file, line and a hint.") { file, import };
        check.SetAction(async (parsed, _) =>
        {
            ConfigRequest request = ServeCommand.Request([]) with { ConfigFile = parsed.GetValue(file) };
            CommandOutput result = ConfigCommands.Check(request);
            Console.Error.Write(result.StandardError);
            Console.Out.Write(result.StandardOutput);
            if (result.ExitStatus != 0 || !parsed.GetValue(import))
            {
                return result.ExitStatus;
            }
            return await AppImportCheck.RunAsync(ConfigLoader.Load(request).Config!, Console.Out, Console.Error);
        });

        var print = new Option<bool>("--print") { Description = "Print the effective configuration as TOML, with where each value came from." };
        var printFile = new Argument<string?>("FILE") { Description = file.Description, Arity = ArgumentArity.ZeroOrOne };
        var config = new Command("config", "Show the effective configuration.") { print, printFile };
        config.SetAction(parsed =>
        {
            if (!parsed.GetValue(print))
            {
                Console.Error.WriteLine("pyhost: error: config needs --print");
                return 2;
            }
            CommandOutput result = ConfigCommands.Print(ServeCommand.Request([]) with { ConfigFile = parsed.GetValue(printFile) });
            Console.Error.Write(result.StandardError);
            Console.Out.Write(result.StandardOutput);
            return result.ExitStatus;
        });
        return [check, config];
    }
}
