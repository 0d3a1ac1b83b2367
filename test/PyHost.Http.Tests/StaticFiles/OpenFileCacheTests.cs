using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

/// <summary>The open-file cache against real files in a temporary directory.</summary>
public sealed class OpenFileCacheTests : IDisposable
{
    private readonly string _directory = Path.GetFullPath(FileSystemPaths.RealPath(Directory.CreateTempSubdirectory("pyhost-cache-").FullName)!);

    [Fact]
    public void AHitSharesTheOpenDescriptorAndItsValidators()
    {
        string path = Write("a.css", "body{}");
        using var cache = new OpenFileCache(100, TimeSpan.FromMinutes(1));

        using OpenFileCache.Lease first = cache.Open(path, _directory);
        using OpenFileCache.Lease second = cache.Open(path, _directory);

        Assert.Equal(StaticPathKind.File, first.Lookup.Kind);
        Assert.Same(first.Lookup, second.Lookup);
        Assert.Same(first.Lookup.ETag, second.Lookup.ETag);
        Assert.Equal(6, second.Lookup.Length);
    }

    [Fact]
    public void AReplacedFileIsSeenOnceTheEntryIsDueForACheck()
    {
        string path = Write("a.css", "old");
        using var trusting = new OpenFileCache(100, TimeSpan.FromMinutes(1));
        using var checking = new OpenFileCache(100, TimeSpan.Zero);
        StaticPathLookup trusted = Hold(trusting.Open(path, _directory));
        StaticPathLookup checkedBefore = Hold(checking.Open(path, _directory));

        string replacement = Write("a.css.new", "newer");
        File.Move(replacement, path, overwrite: true);   // as a deploy does: a new inode under the old name
        Thread.Sleep(5);

        using OpenFileCache.Lease stillTrusted = trusting.Open(path, _directory);
        using OpenFileCache.Lease rechecked = checking.Open(path, _directory);
        Assert.Same(trusted, stillTrusted.Lookup);
        Assert.NotSame(checkedBefore, rechecked.Lookup);
        Assert.Equal(5, rechecked.Lookup.Length);
        Assert.NotEqual(checkedBefore.ETag, rechecked.Lookup.ETag);
    }

    [Fact]
    public void AFileChangedInPlaceIsSeenAndAnUnchangedOneIsKept()
    {
        string path = Write("a.txt", "12345");
        using var cache = new OpenFileCache(100, TimeSpan.Zero);
        StaticPathLookup before = Hold(cache.Open(path, _directory));
        Thread.Sleep(5);

        using (OpenFileCache.Lease unchanged = cache.Open(path, _directory))
        {
            Assert.Same(before, unchanged.Lookup);
        }
        File.AppendAllText(path, "678");
        Thread.Sleep(5);

        using OpenFileCache.Lease changed = cache.Open(path, _directory);
        Assert.NotSame(before, changed.Lookup);
        Assert.Equal(8, changed.Lookup.Length);
    }

    [Fact]
    public void AbsenceIsCachedAndAFileThatAppearsIsFound()
    {
        string path = Path.Combine(_directory, "later.txt.gz");
        using var cache = new OpenFileCache(100, TimeSpan.Zero);

        using (OpenFileCache.Lease missing = cache.Open(path, _directory))
        {
            Assert.Equal(StaticPathKind.Missing, missing.Lookup.Kind);
        }
        Write("later.txt.gz", "gz");
        Thread.Sleep(5);

        using OpenFileCache.Lease found = cache.Open(path, _directory);
        Assert.Equal(StaticPathKind.File, found.Lookup.Kind);
    }

    [Fact]
    public void DirectoriesAndLinksOutOfTheMountAreToldApart()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "sub"));
        string outside = Directory.CreateTempSubdirectory("pyhost-outside-").FullName;
        File.CreateSymbolicLink(Path.Combine(_directory, "out"), outside);
        using var cache = new OpenFileCache(100, TimeSpan.FromMinutes(1));
        try
        {
            using OpenFileCache.Lease directory = cache.Open(Path.Combine(_directory, "sub"), _directory);
            using OpenFileCache.Lease link = cache.Open(Path.Combine(_directory, "out"), _directory);

            Assert.Equal(StaticPathKind.Directory, directory.Lookup.Kind);
            Assert.Equal(StaticPathKind.OutsideMount, link.Lookup.Kind);
        }
        finally
        {
            Directory.Delete(outside);
        }
    }

    [Fact]
    public void TheCacheStaysBoundedAndClosesWhatItDropsOnceNoRequestHoldsIt()
    {
        using var cache = new OpenFileCache(8, TimeSpan.FromMinutes(1));
        OpenFileCache.Lease held = cache.Open(Write("held.bin", "held bytes"), _directory);
        StaticPathLookup heldLookup = held.Lookup;

        for (int i = 0; i < 100; i++)
        {
            cache.Open(Write($"f{i}.txt", $"file {i}"), _directory).Dispose();
        }

        Assert.InRange(cache.Count, 1, 8);
        Assert.False(heldLookup.Handle!.IsClosed);   // dropped from the cache, but a request still reads it
        byte[] read = new byte[10];
        Assert.Equal(10, RandomAccess.Read(heldLookup.Handle, read, 0));
        held.Dispose();
        Assert.True(heldLookup.Handle.IsClosed);
    }

    [Fact]
    public void WithoutEntriesEveryLeaseOwnsItsDescriptor()
    {
        string path = Write("a.txt", "x");
        using var cache = new OpenFileCache(0, TimeSpan.FromMinutes(1));

        OpenFileCache.Lease lease = cache.Open(path, _directory);
        StaticPathLookup lookup = lease.Lookup;
        lease.Dispose();

        Assert.True(lookup.Handle!.IsClosed);
        Assert.Equal(0, cache.Count);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string contents)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>Takes a lookup and gives its lease back at once (the cache keeps the entry).</summary>
    private static StaticPathLookup Hold(OpenFileCache.Lease lease)
    {
        lease.Dispose();
        return lease.Lookup;
    }
}
