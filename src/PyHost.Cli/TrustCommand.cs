using System.CommandLine;
using PyHost.Configuration;
using PyHost.Tls.LocalCa;
using PyHost.Tls.State;

namespace PyHost.Cli;

/// <summary>
/// <c>pyhost trust</c>: where the local CA's root certificate is (made now if it does not exist yet), and how to make
/// this machine's clients trust it, so https://localhost and other local names verify without warnings.
/// </summary>
public static class TrustCommand
{
    private static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = "The state directory ([server] state_dir). Default: the config file's, else $XDG_STATE_HOME/pyhost or ~/.local/state/pyhost.",
    };
    private static readonly Option<string?> Config = new("--config", "-c") { Description = "A pyhost.toml whose [server] state_dir to use." };

    public static Command Create()
    {
        var command = new Command("trust", "Print the local CA's certificate path (the CA that signs localhost and IP-address sites) and how to trust it.")
        {
            StateDir, Config,
        };
        command.SetAction(parsed => Run(parsed));
        return command;
    }

    private static int Run(ParseResult parsed)
    {
        string? stateDir = parsed.GetValue(StateDir);
        if (stateDir is null && parsed.GetValue(Config) is { } file)
        {
            ConfigLoadResult loaded = ConfigLoader.Load(new ConfigRequest { ConfigFile = file, Environment = ConfigEnvironment.Current() });
            if (loaded.Config is null)
            {
                Console.Error.Write(ConfigCommands.Render(loaded.Diagnostics));
                return 2;
            }
            stateDir = loaded.Config.Server.StateDir;
        }
        LocalCertificateAuthority ca;
        try
        {
            ca = LocalCertificateAuthority.OpenOrCreate(StateDirectory.Resolve(stateDir), out _);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"pyhost: error: cannot use the state directory: {ex.Message}");
            return 1;
        }
        Console.WriteLine(ca.RootPath);
        Console.Error.WriteLine($"""

            The local CA: {ca.Root.Subject}, valid until {ca.Root.NotAfter:yyyy-MM-dd}.
            To trust it on this machine (Debian, Ubuntu: curl, Python, .NET and the system):
              sudo cp {ca.RootPath} /usr/local/share/ca-certificates/pyhost-local-ca.crt
              sudo update-ca-certificates
            Firefox and Chrome keep their own store: import the file under Settings > Certificates > Authorities.
            For one command only: curl --cacert {ca.RootPath} https://localhost:8443/
            """);
        return 0;
    }
}
