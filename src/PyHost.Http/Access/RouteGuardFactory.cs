using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.RateLimiting;

namespace PyHost.Http.Access;

/// <summary>
/// Makes each route's <see cref="RouteGuards"/> from its site's and its own access rules (a route's setting replaces
/// its site's). What the rules share is made once: an htpasswd file named twice is read once, and a rate limit a route
/// inherits counts together with its site's other routes. One factory per configuration; a reload makes a new one.
/// </summary>
public sealed class RouteGuardFactory(ILoggerFactory loggers, TimeProvider? time = null) : IDisposable
{
    private readonly Dictionary<string, HtpasswdFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<RateLimitConfig, RateLimitGuard> _limits = new(ReferenceEqualityComparer.Instance);
    private readonly ILogger _logger = loggers.CreateLogger("pyhost.access");

    /// <summary>The guards of a route; throws <see cref="HtpasswdException"/> for a password file that cannot be used.</summary>
    public RouteGuards For(SiteConfig site, RouteConfig route)
    {
        AccessConfig access = route.Access.Over(site.Access);
        if (access.IsEmpty)
        {
            return RouteGuards.None;
        }
        RateLimitGuard? rate = access.RateLimit is { } limit ? RateLimitFor(limit) : null;
        var addresses = new IpAccessRules(access.Allow ?? [], access.Deny ?? [], _logger);
        BasicAuthGuard? auth = access.BasicAuth is { } basic ? new BasicAuthGuard(basic, FileFor(basic.Htpasswd), _logger) : null;
        return new RouteGuards(rate, addresses.IsActive ? addresses : null, auth);
    }

    private RateLimitGuard RateLimitFor(RateLimitConfig limit)
    {
        if (!_limits.TryGetValue(limit, out RateLimitGuard? guard))
        {
            guard = new RateLimitGuard(limit, _logger, time);
            _limits[limit] = guard;
        }
        return guard;
    }

    private HtpasswdFile FileFor(string path)
    {
        if (!_files.TryGetValue(path, out HtpasswdFile? file))
        {
            file = HtpasswdFile.Load(path, _logger, time);
            _files[path] = file;
        }
        return file;
    }

    public void Dispose()
    {
        foreach (RateLimitGuard guard in _limits.Values)
        {
            guard.Dispose();
        }
    }
}
