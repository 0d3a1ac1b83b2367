using System.Collections.Concurrent;

namespace PyHost.Http.StaticFiles;

/// <summary>
/// nginx's <c>open_file_cache</c>: the lookups of hot paths — open descriptor, size, modification time, inode,
/// validators, and also "there is nothing here" (precompressed siblings are mostly absent) — are kept and shared by
/// requests, so a hit costs no system call at all. An entry is trusted for <see cref="ValidFor"/>; after that the
/// next request checks it with realpath + statx (same device, inode, size and modification time) and keeps it, or
/// opens the file anew. Deploys that replace files (rename, collectstatic) are seen within that time, and a request
/// that already holds the old descriptor finishes with the old file's bytes. At most <see cref="MaxEntries"/>
/// entries: beyond, the least recently used eighth is dropped (their descriptors close when their last request ends).
/// </summary>
internal sealed class OpenFileCache : IDisposable
{
    public const int DefaultMaxEntries = 1000;

    public static readonly TimeSpan DefaultValidFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _validForMilliseconds;
    private readonly Lock _evicting = new();

    public OpenFileCache(int maxEntries, TimeSpan validFor)
    {
        MaxEntries = maxEntries;
        ValidFor = validFor;
        _validForMilliseconds = (long)validFor.TotalMilliseconds;
    }

    public int MaxEntries { get; }

    public TimeSpan ValidFor { get; }

    public int Count => _entries.Count;

    /// <summary>
    /// The lookup of <paramref name="path"/> (a path below <paramref name="mountDirectory"/>, links not yet
    /// resolved), acquired for the caller: call <see cref="Lease.Dispose"/> when done reading.
    /// </summary>
    public Lease Open(string path, string mountDirectory)
    {
        if (MaxEntries == 0)
        {
            return Uncached(StaticPathLookup.Resolve(path, mountDirectory));
        }
        long now = Environment.TickCount64;
        if (_entries.TryGetValue(path, out Entry? entry))
        {
            if (now - entry.CheckedAt > _validForMilliseconds)
            {
                if (entry.Lookup.IsStillValid(path))
                {
                    entry.CheckedAt = now;
                }
                else
                {
                    Replace(path, entry, null);
                    entry = null;
                }
            }
            if (entry is not null)
            {
                entry.LastUsed = now;
                if (entry.Lookup.TryAcquire())
                {
                    return new Lease(entry.Lookup, owned: false);
                }
            }
        }

        StaticPathLookup fresh = StaticPathLookup.Resolve(path, mountDirectory);
        fresh.TryAcquire();   // a new handle cannot have been closed yet
        var added = new Entry(fresh) { CheckedAt = now, LastUsed = now };
        bool stored = entry is not null ? Replace(path, entry, added) : _entries.TryAdd(path, added);
        if (!stored)
        {
            // Another request looked the same path up at the same moment: both are right; theirs stays cached.
            return Uncached(fresh, acquired: true);
        }
        if (_entries.Count > MaxEntries)
        {
            EvictLeastRecentlyUsed();
        }
        return new Lease(fresh, owned: false);
    }

    public void Dispose()
    {
        foreach (Entry entry in _entries.Values)
        {
            entry.Lookup.Close();
        }
        _entries.Clear();
    }

    private static Lease Uncached(StaticPathLookup lookup, bool acquired = false)
    {
        if (!acquired)
        {
            lookup.TryAcquire();
        }
        return new Lease(lookup, owned: true);
    }

    /// <summary>Puts <paramref name="replacement"/> (or nothing) in place of <paramref name="old"/>; true when it is stored.</summary>
    private bool Replace(string path, Entry old, Entry? replacement)
    {
        bool swapped = replacement is null
            ? _entries.TryRemove(new KeyValuePair<string, Entry>(path, old))
            : _entries.TryUpdate(path, replacement, old);
        if (swapped)
        {
            old.Lookup.Close();
            return true;
        }
        // Someone else removed or replaced it first.
        return replacement is not null && _entries.TryAdd(path, replacement);
    }

    private void EvictLeastRecentlyUsed()
    {
        if (!_evicting.TryEnter())
        {
            return;   // another request is already making room
        }
        try
        {
            int excess = _entries.Count - MaxEntries;
            if (excess <= 0)
            {
                return;
            }
            int toRemove = Math.Max(excess, MaxEntries / 8);
            foreach (KeyValuePair<string, Entry> oldest in _entries.OrderBy(pair => pair.Value.LastUsed).Take(toRemove).ToList())
            {
                if (_entries.TryRemove(oldest))
                {
                    oldest.Value.Lookup.Close();
                }
            }
        }
        finally
        {
            _evicting.Exit();
        }
    }

    private sealed class Entry(StaticPathLookup lookup)
    {
        public StaticPathLookup Lookup { get; } = lookup;

        public long CheckedAt { get; set; }

        public long LastUsed { get; set; }
    }

    /// <summary>One request's hold on a lookup; the file's descriptor stays open until it is disposed.</summary>
    public readonly struct Lease(StaticPathLookup lookup, bool owned) : IDisposable
    {
        public StaticPathLookup Lookup { get; } = lookup;

        public void Dispose()
        {
            Lookup.Release();
            if (owned)
            {
                Lookup.Close();
            }
        }
    }
}
