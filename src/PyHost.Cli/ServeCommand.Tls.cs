using System.CommandLine;
using Microsoft.Extensions.Logging;
using PyHost.Configuration;
using PyHost.Configuration.Model;
using PyHost.Tls;
using PyHost.Tls.Certificates;

namespace PyHost.Cli;

/// <summary>
/// TLS for <c>pyhost serve</c>: gunicorn's --certfile/--keyfile/--ca-certs/--cert-reqs, which (as in gunicorn) make
/// every -b listener serve TLS, and -c FILE for what flags cannot say — listeners with tls = "auto" or
/// https_redirect, sites with their certificates and HSTS, [acme]. Until the whole file is served (apps and routes:
/// the configuration work), -c takes only those parts and the app still comes from APP and the flags.
/// </summary>
public static partial class ServeCommand
{
    private static readonly Option<string?> CertFile = new("--certfile")
    {
        Description = "PEM certificate chain (server certificate first): every -b listener serves TLS, as in gunicorn.",
    };
    private static readonly Option<string?> KeyFile = new("--keyfile")
    {
        Description = "PEM private key of --certfile (RSA or ECDSA). Default: the key in the --certfile file.",
    };
    private static readonly Option<string?> CaCerts = new("--ca-certs")
    {
        Description = "PEM CA certificates client certificates must chain to (mutual TLS).",
    };
    private static readonly Option<string?> CertReqs = new("--cert-reqs")
    {
        Description = "Client certificates: 0/none (not asked), 1/optional (checked if shown), 2/required. Default: 0.",
    };
    private static readonly Option<string?> ConfigFile = new("--config", "-c")
    {
        Description = "A pyhost.toml: its [[listen]] (with tls, https_redirect), [[site]] hosts, tls and hsts, [acme] and [server] state_dir are served; "
                      + "the app comes from APP and the flags. -b replaces its listeners.",
    };

    private static void AddTlsOptions(Command command)
    {
        foreach (Option option in new Option[] { CertFile, KeyFile, CaCerts, CertReqs, ConfigFile })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(result =>
        {
            if (result.GetValue(CertFile) is null && (result.GetValue(KeyFile) ?? result.GetValue(CaCerts) ?? result.GetValue(CertReqs)) is not null)
            {
                result.AddError("--keyfile, --ca-certs and --cert-reqs go with --certfile, which turns TLS on");
            }
            if (result.GetValue(CertReqs) is { } requirement && ParseCertReqs(requirement) is null)
            {
                result.AddError($"--cert-reqs '{requirement}': use 0 (none), 1 (optional) or 2 (required)");
            }
            if (result.GetValue(CertReqs) is { } required && ParseCertReqs(required) is not (null or ClientCertificates.None) && result.GetValue(CaCerts) is null)
            {
                result.AddError("--cert-reqs asks for client certificates: give --ca-certs, the CA they must chain to");
            }
            if (result.GetValue(ConfigFile) is { } file && !file.EndsWith(".toml", StringComparison.OrdinalIgnoreCase))
            {
                result.AddError($"-c '{file}': serve reads a pyhost.toml here; gunicorn .py files are read by 'pyhost check' only so far");
            }
        });
    }

    private static ClientCertificates? ParseCertReqs(string text) => text.Trim().ToUpperInvariant() switch
    {
        "0" or "NONE" or "CERT_NONE" => ClientCertificates.None,
        "1" or "OPTIONAL" or "CERT_OPTIONAL" => ClientCertificates.Optional,
        "2" or "REQUIRED" or "CERT_REQUIRED" => ClientCertificates.Required,
        _ => null,
    };

    /// <summary>
    /// The TLS input from the flags and -c: the options for <see cref="TlsFront"/> (null: plain HTTP only) and the
    /// addresses to bind when the file gives them. False after printing why it cannot be used (exit status 2).
    /// </summary>
    private static bool TryReadTlsSettings(ParseResult parsed, out TlsFrontOptions? tls, out IReadOnlyList<string>? fileBinds)
    {
        tls = null;
        fileBinds = null;
        string[] binds = parsed.GetValue(Bind) is { Length: > 0 } given ? given : [];
        PyHostConfig? config = null;
        if (parsed.GetValue(ConfigFile) is { } file)
        {
            ConfigLoadResult loaded = ConfigLoader.Load(new ConfigRequest { ConfigFile = file, Environment = ConfigEnvironment.Current() });
            Console.Error.Write(ConfigCommands.Render(loaded.Diagnostics));
            if (loaded.Config is null)
            {
                return false;
            }
            config = loaded.Config;
            if (config.Listeners.FirstOrDefault(listener => listener.Address.Protocol != ListenerProtocol.Http) is { } gateway)
            {
                Console.Error.WriteLine($"pyhost: error: {file}: '{gateway.Address.Text}' is a gateway listener; serve -c takes HTTP listeners only so far");
                return false;
            }
            fileBinds = binds.Length > 0 ? null : config.Listeners.Select(listener => listener.Address.Canonical).ToList();
        }

        IReadOnlyList<ListenerConfig> listeners = config?.Listeners ?? [];
        if (binds.Length > 0 || config is null)
        {
            string? certificate = parsed.GetValue(CertFile);
            listeners = (binds.Length > 0 ? binds : ["127.0.0.1:8000"]).Select(text => new ListenerConfig
            {
                Address = ListenAddress.TryParse(text, Environment.CurrentDirectory, out ListenAddress? address, out _) ? address : throw new InvalidOperationException(text),
                Tls = certificate is null ? ListenerTls.None : ListenerTls.Files,
                Certificate = certificate,
                Key = parsed.GetValue(KeyFile),
                ClientCa = parsed.GetValue(CaCerts),
                ClientCertificates = parsed.GetValue(CertReqs) is { } requirement ? ParseCertReqs(requirement)!.Value : ClientCertificates.None,
            }).ToList();
        }
        var options = new TlsFrontOptions
        {
            Listeners = listeners,
            Sites = config?.Sites ?? [],
            Acme = config?.Acme ?? new AcmeConfig(),
            StateDirectory = config?.Server.StateDir,
        };
        tls = options.IsNeeded ? options : null;
        return true;
    }

    /// <summary>Loads the certificates; null and a one-line error (exit status 2) when one cannot be served.</summary>
    private static TlsFront? CreateTls(TlsFrontOptions options, ILoggerFactory loggers, out string? error)
    {
        error = null;
        try
        {
            return TlsFront.Create(options, loggers);
        }
        catch (CertificateLoadException ex)
        {
            error = ex.Message;
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"the state directory cannot be used: {ex.Message}";
            return null;
        }
    }
}
