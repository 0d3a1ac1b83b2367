using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Model;

namespace PyHost.Configuration.Validation;

/// <summary>
/// The checks that look at the disk, kept apart from reading so a config can be read (and printed) anywhere: static
/// directories exist, certificate, key and error page files are readable, app directories and PasteDeploy files exist,
/// log, pid and socket files have a directory to live in. Each problem names the line of its key.
/// <c>pyhost check</c> runs all of it; <c>serve</c> and a reload run <see cref="CheckInputs"/>, where a problem is a
/// configuration mistake (exit status 2), and leave the places PyHost writes to the steps that open them (exit 1,
/// with the system's reason).
/// </summary>
public static class FileSystemCheck
{
    public static void Check(PyHostConfig config, DiagnosticBag diagnostics)
    {
        CheckInputs(config, diagnostics);
        CheckOutputs(config, diagnostics);
    }

    /// <summary>The files and directories the configuration names for PyHost to read or serve.</summary>
    public static void CheckInputs(PyHostConfig config, DiagnosticBag diagnostics)
    {
        for (int i = 0; i < config.Listeners.Count; i++)
        {
            ListenerConfig listener = config.Listeners[i];
            Readable(config, diagnostics, $"listen[{i}].certificate", listener.Certificate);
            Readable(config, diagnostics, $"listen[{i}].key", listener.Key);
            Readable(config, diagnostics, $"listen[{i}].client_ca", listener.ClientCa);
        }
        Readable(config, diagnostics, "acme.ca_root", config.Acme.CaRoot);
        for (int i = 0; i < config.Sites.Count; i++)
        {
            SiteConfig site = config.Sites[i];
            if (site.Tls is { IsAuto: false } tls)
            {
                Readable(config, diagnostics, $"site[{i}].tls.certificate", tls.Certificate);
                Readable(config, diagnostics, $"site[{i}].tls.key", tls.Key);
            }
            foreach (var (status, page) in site.ErrorPages)
            {
                Readable(config, diagnostics, $"site[{i}].error_pages.{status}", page);
            }
            if (site.Access.BasicAuth is { Enabled: true } siteAuth)
            {
                Readable(config, diagnostics, $"site[{i}].basic_auth.htpasswd", siteAuth.Htpasswd);
            }
            for (int r = 0; r < site.Routes.Count; r++)
            {
                if (site.Routes[r].Access.BasicAuth is { Enabled: true } routeAuth)
                {
                    Readable(config, diagnostics, $"site[{i}].route[{r}].basic_auth.htpasswd", routeAuth.Htpasswd);
                }
                if (site.Routes[r].Target is StaticTarget target && !Directory.Exists(target.Directory))
                {
                    Report(config, diagnostics, $"site[{i}].route[{r}].static", $"no such directory: {target.Directory}",
                        File.Exists(target.Directory) ? "static serves a directory; this is a file" : "create it (e.g. manage.py collectstatic), or fix the path: it is relative to the config file");
                }
                if (site.Routes[r].Target is CgiTarget cgi && !Directory.Exists(cgi.Path) && !File.Exists(cgi.Path))
                {
                    Report(config, diagnostics, $"site[{i}].route[{r}].cgi.path", $"no such directory or script: {cgi.Path}",
                        "give the directory of the scripts or one script; the path is relative to the config file");
                }
            }
        }
        foreach (AppConfig app in config.Apps)
        {
            string prefix = $"app.{app.Name}";
            if (app.Chdir is { } chdir && !Directory.Exists(chdir))
            {
                Report(config, diagnostics, $"{prefix}.chdir", $"no such directory: {chdir}");
            }
            if (app.Paste is { } paste && !File.Exists(paste.File))
            {
                Report(config, diagnostics, $"{prefix}.paste", $"no such file: {paste.File}");
            }
            if (app.Python is { } python && python.Contains('/') && !File.Exists(python))
            {
                Report(config, diagnostics, $"{prefix}.python", $"no such interpreter: {python}", "give the path of a python executable, e.g. .venv/bin/python");
            }
            foreach (string extra in app.ReloadExtraFiles.Where(extra => !File.Exists(extra)))
            {
                Report(config, diagnostics, $"{prefix}.reload_extra_files", $"no such file: {extra}");
            }
        }
    }

    /// <summary>The directories of the files PyHost makes: unix sockets, logs, the pid file.</summary>
    public static void CheckOutputs(PyHostConfig config, DiagnosticBag diagnostics)
    {
        for (int i = 0; i < config.Listeners.Count; i++)
        {
            if (config.Listeners[i].Address.UnixSocketPath is { } socket)
            {
                ParentExists(config, diagnostics, $"listen[{i}].address", socket, "the unix socket");
            }
        }
        if (config.Log.ErrorLog != "-")
        {
            ParentExists(config, diagnostics, "log.error_log", config.Log.ErrorLog, "the error log");
        }
        if (config.Log.AccessLog is { } access and not "-")
        {
            ParentExists(config, diagnostics, "log.access_log", access, "the access log");
        }
        if (config.Server.PidFile is { } pid)
        {
            ParentExists(config, diagnostics, "server.pid_file", pid, "the pid file");
        }
    }

    private static void Readable(PyHostConfig config, DiagnosticBag diagnostics, string path, string? file)
    {
        if (file is null)
        {
            return;
        }
        try
        {
            using FileStream stream = File.OpenRead(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Report(config, diagnostics, path, $"cannot read {file}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message)}",
                ex is UnauthorizedAccessException ? "PyHost reads certificates before it drops privileges: check the file's owner and mode"
                : path.Contains(".error_pages.", StringComparison.Ordinal) ? "error pages are relative to the config file (flags: to the current directory)" : null);
        }
    }

    private static void ParentExists(PyHostConfig config, DiagnosticBag diagnostics, string path, string file, string what)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(file));
        if (directory is not null && !Directory.Exists(directory))
        {
            Report(config, diagnostics, path, $"the directory of {what} does not exist: {directory}", "create it first; PyHost does not create directories for you");
        }
    }

    private static void Report(PyHostConfig config, DiagnosticBag diagnostics, string path, string message, string? hint = null) =>
        diagnostics.Error(config.Provenance.Locate(path), path, message, hint);
}
