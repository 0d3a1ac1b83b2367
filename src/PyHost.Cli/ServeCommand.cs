using System.CommandLine;
using PyHost.Configuration;
using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;
using PyHost.Hosting;
using PyHost.Hosting.Apps;
using PyHost.Workers.Python;

namespace PyHost.Cli;

/// <summary>
/// <c>pyhost serve [APP] [FLAGS]</c>, with gunicorn's flag names where gunicorn has the flag. The flags, a config file
/// (pyhost.toml, [tool.pyhost] in pyproject.toml, a gunicorn .py file) and $GUNICORN_CMD_ARGS/$PYHOST_CMD_ARGS all
/// become one configuration (<see cref="ConfigLoader"/>); the server runs from that alone, so there is one code path.
/// </summary>
public static class ServeCommand
{
    /// <summary>The `serve` command as `--help` shows it: its options are made from <see cref="ServeSettings.All"/>, the
    /// same table the arguments are read with, so help and behaviour cannot drift.</summary>
    public static Command Create()
    {
        var command = new Command("serve", "Serve a Python web app: from APP and flags, or from pyhost.toml, [tool.pyhost] or a gunicorn config file.");
        foreach (ServeSetting setting in ServeSettings.All)
        {
            if (setting.Flags.Count == 0)
            {
                command.Arguments.Add(new Argument<string?>(setting.Name.ToUpperInvariant())
                {
                    Description = setting.Description,
                    Arity = ArgumentArity.ZeroOrOne,
                });
                continue;
            }
            string[] names = [setting.Flags[^1], .. setting.Flags.Take(setting.Flags.Count - 1)];
            Option option = setting.Arity switch
            {
                SettingArity.Switch => new Option<bool>(names[0], names[1..]) { Description = setting.Description },
                SettingArity.Repeatable => new Option<string[]>(names[0], names[1..])
                {
                    Description = setting.Description,
                    Arity = ArgumentArity.OneOrMore,
                    AllowMultipleArgumentsPerToken = false,
                },
                SettingArity.OptionalValue => new Option<string?>(names[0], names[1..])
                {
                    Description = setting.Description,
                    Arity = ArgumentArity.ZeroOrOne,
                },
                _ => new Option<string?>(names[0], names[1..]) { Description = setting.Description },
            };
            command.Options.Add(option);
        }
        return command;
    }

    /// <summary>Reads the arguments after <c>serve</c> into a configuration and serves it; exit 2 on a bad one.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> arguments)
    {
        ConfigRequest request = Request(arguments);
        ConfigLoadResult loaded = ConfigLoader.Load(request);
        foreach (ConfigDiagnostic diagnostic in loaded.Diagnostics)
        {
            Console.Error.WriteLine($"pyhost: {diagnostic}");
        }
        if (loaded.Config is not { } config)
        {
            Console.Error.WriteLine("Try 'pyhost serve --help'.");
            return 2;
        }
        if (loaded.Arguments.Has("print_config"))
        {
            Console.Out.Write(ConfigPrinter.Print(config));
            return 0;
        }
        if (loaded.Arguments.Has("check_config"))
        {
            return await AppImportCheck.RunAsync(config, Console.Out, Console.Error);
        }
        return await Serving.RunAsync(new ServeRequest
        {
            Config = config,
            Reread = () => ConfigLoader.Load(request),
            Version = Version,
        });
    }

    public static string Version => typeof(ServeCommand).Assembly.GetName().Version?.ToString(3) ?? "0";

    /// <summary>What to load: these arguments, this process's environment, and the interpreter search for gunicorn
    /// .py files (the one the app would run with).</summary>
    public static ConfigRequest Request(IReadOnlyList<string> arguments) => new()
    {
        Arguments = arguments,
        Environment = ConfigEnvironment.Current(),
        LocatePython = given =>
        {
            try
            {
                return PythonLocator.Locate(given, Environment.CurrentDirectory, Environment.GetEnvironmentVariable).Path;
            }
            catch (FileNotFoundException)
            {
                return given ?? "python3";
            }
        },
    };
}
