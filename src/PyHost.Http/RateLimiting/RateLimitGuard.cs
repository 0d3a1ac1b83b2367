using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PyHost.Configuration.Model;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using PyHost.Http.Access;
using PyHost.Http.Forwarding;

namespace PyHost.Http.RateLimiting;

/// <summary>
/// A site's or route's <c>rate_limit</c>: the request rate (<see cref="LeakyBucketRateLimiter"/>) and the requests in
/// progress (<see cref="ConcurrencyPerKeyLimiter"/>) per key: the client address after the trusted-proxy rules, or a
/// header's or cookie's value. A request over either gets 429 Too Many Requests (RFC 6585 §4) with Retry-After and a
/// short page; a request without the key (no such header or cookie) is not limited, as nginx skips empty keys.
/// </summary>
public sealed partial class RateLimitGuard : IDisposable
{
    private readonly RateLimitConfig _config;
    private readonly LeakyBucketRateLimiter? _rate;
    private readonly ConcurrencyPerKeyLimiter? _concurrency;
    private readonly ILogger _logger;
    private readonly ThrottledLog _log = new(TimeSpan.FromSeconds(10));

    public RateLimitGuard(RateLimitConfig config, ILogger logger, TimeProvider? time = null)
    {
        _config = config;
        _logger = logger;
        if (config.Rate is { } rate)
        {
            _rate = new LeakyBucketRateLimiter(rate.PerSecond, config.Burst, config.NoDelay, config.MaxKeys, time);
        }
        if (config.MaxConcurrent > 0)
        {
            _concurrency = new ConcurrencyPerKeyLimiter(config.MaxConcurrent);
        }
    }

    /// <summary>Keys the rate limiter remembers now; bounded by max_keys.</summary>
    public int RememberedKeys => _rate?.KeyCount ?? 0;

    /// <summary>The key a request is counted under; null when it has none.</summary>
    public string? KeyOf(HttpContext context) => _config.Key.Kind switch
    {
        RateLimitKeyKind.ClientAddress => RequestOriginFeature.Get(context).RemoteAddress is { Length: > 0 } address ? address : null,
        RateLimitKeyKind.Header => context.Request.Headers[_config.Key.Name].ToString() is { Length: > 0 } value ? value : null,
        _ => context.Request.Cookies[_config.Key.Name] is { Length: > 0 } cookie ? cookie : null,
    };

    /// <summary>
    /// True when the request may go on (after waiting its turn, without nodelay); otherwise the 429 is written. A
    /// request that holds a concurrency slot gives it back when the response is done.
    /// </summary>
    public async ValueTask<bool> AdmitAsync(HttpContext context)
    {
        string? key = KeyOf(context);
        if (key is null)
        {
            return true;
        }
        if (_rate is not null)
        {
            RateLimitLease lease;
            try
            {
                lease = await _rate.AcquireAsync(key, 1, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return false;   // the client left while waiting its turn
            }
            if (!lease.IsAcquired)
            {
                lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan retryAfter);
                await RefuseAsync(context, key, $"rate {_config.Rate}, burst {_config.Burst}", retryAfter);
                return false;
            }
        }
        if (_concurrency is not null)
        {
            RateLimitLease held = _concurrency.AttemptAcquire(key);
            if (!held.IsAcquired)
            {
                await RefuseAsync(context, key, $"max_concurrent {_config.MaxConcurrent}", TimeSpan.FromSeconds(1));
                return false;
            }
            context.Response.RegisterForDispose(held);
        }
        return true;
    }

    private async Task RefuseAsync(HttpContext context, string key, string limit, TimeSpan retryAfter)
    {
        if (_log.ShouldLog(out int refused))
        {
            LogRefused(refused, limit, _config.Key.ToString(), key);
        }
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await ErrorPages.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests. Please slow down and try again in a moment.");
    }

    public void Dispose()
    {
        _rate?.Dispose();
        _concurrency?.Dispose();
    }

    [LoggerMessage(EventId = 650, Level = LogLevel.Warning, Message = "Refused {Count} request(s) with 429 over {Limit}, the last for {KeyKind} {Key} (at most one such line every 10 s)")]
    private partial void LogRefused(int count, string limit, string keyKind, string key);
}
