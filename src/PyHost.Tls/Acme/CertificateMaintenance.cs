using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using PyHost.Tls.Certificates;
using PyHost.Tls.LocalCa;
using PyHost.Tls.State;

namespace PyHost.Tls.Acme;

/// <summary>One name whose certificate PyHost obtains and renews itself.</summary>
public sealed class ManagedName(string name, CertificateSlot slot, bool local)
{
    public string Name { get; } = name;

    public CertificateSlot Slot { get; } = slot;

    /// <summary>Signed by the local CA rather than obtained by ACME.</summary>
    public bool Local { get; } = local;

    public DateTimeOffset Due { get; set; }

    public int Failures { get; set; }
}

/// <summary>
/// Keeps every managed name's certificate current: what the state directory holds is served at start; a name
/// without one, or whose certificate is two thirds through its lifetime, gets a new one; a failure is logged as an
/// ERROR, the certificate in service stays, and the next attempt waits twice as long as the one before (1 min, 2, 4,
/// ..., at most a day). One loop, one name at a time; a new certificate is swapped into the name's slot, so
/// connections already open keep theirs and the next handshake gets the new one, without a restart.
/// </summary>
public sealed partial class CertificateMaintenance : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromDays(1);

    private readonly IReadOnlyList<ManagedName> _names;
    private readonly LocalCertificateAuthority? _localCa;
    private readonly IssuedCertificateStore? _localStore;
    private readonly AcmeIssuer? _acme;
    private readonly IssuedCertificateStore? _acmeStore;
    private readonly string _acmeDirectory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public CertificateMaintenance(IReadOnlyList<ManagedName> names, LocalCertificateAuthority? localCa, IssuedCertificateStore? localStore,
        AcmeIssuer? acme, IssuedCertificateStore? acmeStore, string acmeDirectory, ILogger logger)
    {
        _names = names;
        _localCa = localCa;
        _localStore = localStore;
        _acme = acme;
        _acmeStore = acmeStore;
        _acmeDirectory = acmeDirectory;
        _logger = logger;
    }

    /// <summary>
    /// Before listening: serves what the state directory holds, and signs local names at once (no network needed),
    /// so localhost works from the first request. ACME names wait for <see cref="Start"/>.
    /// </summary>
    public void LoadStored()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (ManagedName name in _names)
        {
            IssuedCertificateStore store = (name.Local ? _localStore : _acmeStore)!;
            ServerCertificate? stored = store.TryLoad(name.Name, out string? problem);
            if (problem is not null)
            {
                LogStoredUnusable(name.Name, problem);
            }
            if (stored is not null && stored.NotAfter > now)
            {
                name.Slot.Install(stored);
                name.Due = stored.RenewalTime;
                LogServingStored(name.Name, stored.ToString());
            }
            else
            {
                name.Due = now;
            }
            if (name.Local && name.Due <= now)
            {
                Renew(name, now).GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Once the listeners are up (the CA's validation connects to them): obtains what is missing, then renews.</summary>
    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested && _names.Count > 0)
        {
            ManagedName next = _names.MinBy(name => name.Due)!;
            TimeSpan wait = next.Due - DateTimeOffset.UtcNow;
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait < LongestRetry ? wait : LongestRetry, stopping);
                    continue;
                }
                await Renew(next, DateTimeOffset.UtcNow, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task Renew(ManagedName name, DateTimeOffset now, CancellationToken stopping = default)
    {
        string issuer = name.Local ? "the local CA" : _acmeDirectory;
        try
        {
            (string chain, string key) = name.Local
                ? _localCa!.Issue(name.Name, now, LocalCertificateAuthority.LeafLifetime)
                : await _acme!.ObtainAsync(name.Name, stopping);
            IssuedCertificateStore store = (name.Local ? _localStore : _acmeStore)!;
            ServerCertificate certificate = store.Save(name.Name, chain, key, name.Local ? "local CA" : "ACME " + _acmeDirectory);
            name.Slot.Install(certificate);
            name.Failures = 0;
            name.Due = certificate.RenewalTime;
            LogObtained(name.Name, issuer, certificate.NotAfter, certificate.RenewalTime);
        }
        catch (Exception ex) when (ex is AcmeException or HttpRequestException or CertificateLoadException or CryptographicException or IOException
                                       or UnauthorizedAccessException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            name.Failures++;
            double factor = Math.Pow(2, Math.Min(name.Failures - 1, 20));
            TimeSpan retry = TimeSpan.FromTicks((long)Math.Min(FirstRetry.Ticks * factor, LongestRetry.Ticks));
            name.Due = DateTimeOffset.UtcNow + retry;
            string current = name.Slot.Current is { } serving
                ? $"Still serving the certificate in place, valid until {serving.NotAfter:yyyy-MM-dd HH:mm:ss}Z"
                : "There is no certificate for it yet: HTTPS handshakes for it are refused";
            string reason = ex is OperationCanceledException ? "timed out" : ex.Message;
            LogFailed(name.Name, issuer, reason, current, retry.TotalSeconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "Certificate for {Name} from {Issuer}: valid until {NotAfter:u}, renewal at {Renewal:u}")]
    private partial void LogObtained(string name, string issuer, DateTimeOffset notAfter, DateTimeOffset renewal);

    [LoggerMessage(EventId = 711, Level = LogLevel.Error, Message = "Could not obtain a certificate for {Name} from {Issuer}: {Reason}. {Current}. Next attempt in {Seconds} s")]
    private partial void LogFailed(string name, string issuer, string reason, string current, double seconds);

    [LoggerMessage(EventId = 712, Level = LogLevel.Information, Message = "Certificate for {Name} from the state directory: {Certificate}")]
    private partial void LogServingStored(string name, string certificate);

    [LoggerMessage(EventId = 713, Level = LogLevel.Warning, Message = "The stored certificate for {Name} cannot be used ({Problem}); obtaining a new one")]
    private partial void LogStoredUnusable(string name, string problem);
}
