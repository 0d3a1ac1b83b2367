using PyHost.Configuration.Model;

namespace PyHost.Http.Observability;

/// <summary>
/// How an error-log line names one request: "GET /path (site blog, app blog)". With several sites and apps in one
/// server, a timeout or an invalid response must say whose it was, as nginx's error lines end with
/// "server: NAME, request: ..." (the server block's name). The one app and site of a command line have no names
/// worth printing ("main", "default"), as their workers are plain "worker 3": those lines stay gunicorn's.
/// The client's part is escaped: it goes into a log line.
/// </summary>
public static class RequestDescription
{
    private const string UnnamedSite = "default";

    public static string Of(string method, string target, string? site, string? app)
    {
        string request = LogEscaping.Escape($"{method} {target}");
        site = site is UnnamedSite ? null : site;
        app = app is AppConfig.DefaultName ? null : app;
        return (site, app) switch
        {
            (null, null) => request,
            (null, _) => $"{request} (app {app})",
            (_, null) => $"{request} (site {site})",
            _ => $"{request} (site {site}, app {app})",
        };
    }
}
