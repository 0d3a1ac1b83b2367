using Microsoft.Extensions.Logging;

namespace PyHost.Tls.Certificates;

/// <summary>
/// Reloads certificates whose PEM files change on disk (a certbot renewal, a deploy) without a restart. inotify
/// (FileSystemWatcher) on each file's directory notices changes at once; a poll of the files' bytes catches what it
/// cannot see (network file systems, a symlink whose target directory changed). A new pair that does not load — a
/// half-written file, a key that does not match — leaves the old certificate in service and is logged as an ERROR
/// once; the next change is tried again.
/// </summary>
public sealed partial class CertificateFileWatcher : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    private readonly List<WatchedPair> _pairs;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Timer _poll;
    private readonly Timer _settle;
    private readonly ILogger _logger;
    private readonly Lock _checking = new();

    public CertificateFileWatcher(IEnumerable<(CertificateSlot Slot, string Certificate, string? Key)> pairs, TimeSpan pollInterval, ILogger logger)
        : this(pairs, pollInterval, logger, useInotify: true)
    {
    }

    /// <summary><paramref name="useInotify"/> false leaves the poll alone, as on a file system inotify cannot see.</summary>
    internal CertificateFileWatcher(IEnumerable<(CertificateSlot Slot, string Certificate, string? Key)> pairs, TimeSpan pollInterval, ILogger logger, bool useInotify)
    {
        _logger = logger;
        _pairs = pairs.Select(pair => new WatchedPair(pair.Slot, pair.Certificate, pair.Key)).ToList();
        foreach (WatchedPair pair in _pairs)
        {
            pair.Loaded = TryFingerprint(pair);
        }
        _settle = new Timer(_ => CheckAll());
        foreach (string directory in _pairs.SelectMany(pair => new[] { pair.Certificate, pair.Key }).OfType<string>()
                     .Select(path => Path.GetDirectoryName(Path.GetFullPath(path))!).Distinct().Where(_ => useInotify))
        {
            TryWatch(directory);
        }
        _poll = new Timer(_ => CheckAll(), null, pollInterval, pollInterval);
    }

    public int Count => _pairs.Count;

    private void TryWatch(string directory)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            // Writers touch a file several times (truncate, write, rename); act once things settle.
            watcher.Changed += (_, _) => _settle.Change(Settle, Timeout.InfiniteTimeSpan);
            watcher.Created += (_, _) => _settle.Change(Settle, Timeout.InfiniteTimeSpan);
            watcher.Renamed += (_, _) => _settle.Change(Settle, Timeout.InfiniteTimeSpan);
            watcher.Error += (_, _) => _settle.Change(Settle, Timeout.InfiniteTimeSpan);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            LogCannotWatch(directory, ex.Message);
        }
    }

    /// <summary>Looks at every pair now: those whose bytes changed are loaded and swapped in.</summary>
    public void CheckAll()
    {
        lock (_checking)
        {
            foreach (WatchedPair pair in _pairs)
            {
                Check(pair);
            }
        }
    }

    private void Check(WatchedPair pair)
    {
        byte[]? fingerprint = TryFingerprint(pair);
        if (fingerprint is null || Same(fingerprint, pair.Loaded) || Same(fingerprint, pair.LastFailed))
        {
            pair.Pending = null;
            return;
        }
        if (!Same(fingerprint, pair.Pending))
        {
            // Changed since the last look: a writer may be between the key and the chain. Load only what stays the
            // same for a moment, so a pair caught half-written is neither served nor reported.
            pair.Pending = fingerprint;
            _settle.Change(Settle, Timeout.InfiniteTimeSpan);
            return;
        }
        pair.Pending = null;
        try
        {
            ServerCertificate certificate = PemCertificateLoader.Load(pair.Certificate, pair.Key);
            pair.Slot.Install(certificate);
            pair.Loaded = fingerprint;
            pair.LastFailed = null;
            LogReloaded(pair.Certificate, certificate.ToString());
        }
        catch (CertificateLoadException ex)
        {
            pair.LastFailed = fingerprint;
            LogReloadFailed(pair.Certificate, ex.Message, pair.Slot.Current?.ToString() ?? "none");
        }
    }

    private static byte[]? TryFingerprint(WatchedPair pair)
    {
        try
        {
            return PemCertificateLoader.Fingerprint(pair.Certificate, pair.Key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;   // being replaced right now; the next event or poll looks again
        }
    }

    private static bool Same(byte[] a, byte[]? b) => b is not null && a.AsSpan().SequenceEqual(b);

    public void Dispose()
    {
        _poll.Dispose();
        _settle.Dispose();
        foreach (FileSystemWatcher watcher in _watchers)
        {
            watcher.Dispose();
        }
    }

    private sealed class WatchedPair(CertificateSlot slot, string certificate, string? key)
    {
        public CertificateSlot Slot { get; } = slot;
        public string Certificate { get; } = certificate;
        public string? Key { get; } = key;
        public byte[]? Loaded { get; set; }
        public byte[]? LastFailed { get; set; }
        public byte[]? Pending { get; set; }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Reloaded certificate {File}: {Certificate}")]
    private partial void LogReloaded(string file, string certificate);

    [LoggerMessage(EventId = 701, Level = LogLevel.Error, Message = "Certificate {File} changed but cannot be used: {Reason}. Still serving the previous one: {Current}")]
    private partial void LogReloadFailed(string file, string reason, string current);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Cannot watch {Directory} for certificate changes ({Reason}); polling it instead")]
    private partial void LogCannotWatch(string directory, string reason);
}
