using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.StaticFiles;

/// <summary>What a path under a mount turned out to be.</summary>
internal enum StaticPathKind
{
    /// <summary>A regular file, open: <see cref="StaticPathLookup.Handle"/> reads it.</summary>
    File,

    /// <summary>A directory: its index file, a redirect to add the slash, or 404.</summary>
    Directory,

    /// <summary>Nothing there, or something that is neither a regular file nor a directory (a FIFO, a socket).</summary>
    Missing,

    /// <summary>A symbolic link along the way leads out of the mount's directory: 403.</summary>
    OutsideMount,
}

/// <summary>
/// The answer to "what is at this path under this mount", as the kernel gave it: realpath(3) for where the path
/// really leads, then open(2) and statx(2). Immutable: the <see cref="OpenFileCache"/> shares one among requests,
/// and a changed file gets a new one. The handle is closed when the last request reading it is done.
/// </summary>
internal sealed class StaticPathLookup
{
    private StaticPathLookup(StaticPathKind kind, string? realPath, SafeFileHandle? handle, FileIdentity identity)
    {
        Kind = kind;
        RealPath = realPath;
        Handle = handle;
        Identity = identity;
        if (kind == StaticPathKind.File)
        {
            Validators = FileValidators.For(identity.Length, identity.LastWriteUtc);
            ETag = Validators.ETag.ToString();
            LastModified = Validators.LastModifiedText;
        }
    }

    public StaticPathKind Kind { get; }

    /// <summary>Where the path really leads (null when it does not exist): what is compared on revalidation.</summary>
    public string? RealPath { get; }

    public SafeFileHandle? Handle { get; }

    public FileIdentity Identity { get; }

    public long Length => Identity.Length;

    public FileValidators? Validators { get; }

    /// <summary>The ETag and Last-Modified header values, formatted once per file rather than once per request.</summary>
    public string? ETag { get; }

    public string? LastModified { get; }

    /// <summary>Looks the path up on disk; <paramref name="mountDirectory"/> is a real path itself.</summary>
    public static StaticPathLookup Resolve(string path, string mountDirectory)
    {
        // Whatever realpath(3) returns outside the mount got there through a symbolic link. A link swapped in
        // between this check and the open would still be followed: that takes write access to the directory, which
        // the mount trusts (openat2 with RESOLVE_BENEATH would close it).
        string? realPath = FileSystemPaths.RealPath(path);
        if (realPath is null)
        {
            return Missing;
        }
        if (!FileSystemPaths.IsWithin(realPath, mountDirectory))
        {
            return new StaticPathLookup(StaticPathKind.OutsideMount, realPath, null, default);
        }
        OpenedFile? file = FileSystemPaths.TryOpenRegularFile(realPath);
        if (file is not null)
        {
            return new StaticPathLookup(StaticPathKind.File, realPath, file.Handle, file.Identity);
        }
        FileIdentity? identity = FileSystemPaths.TryStat(realPath);
        return identity is { IsDirectory: true }
            ? new StaticPathLookup(StaticPathKind.Directory, realPath, null, identity.Value)
            : new StaticPathLookup(StaticPathKind.Missing, realPath, null, identity ?? default);
    }

    private static StaticPathLookup Missing { get; } = new(StaticPathKind.Missing, null, null, default);

    /// <summary>
    /// Whether this answer still holds for <paramref name="path"/>: the path leads to the same place, and that is the
    /// same file (device, inode), unchanged (size, modification time) — or still nothing. Two system calls instead
    /// of the open, statx and close of a new lookup.
    /// </summary>
    public bool IsStillValid(string path)
    {
        string? realPath = FileSystemPaths.RealPath(path);
        if (realPath != RealPath)
        {
            return false;
        }
        if (realPath is null || Kind == StaticPathKind.OutsideMount)
        {
            return true;
        }
        FileIdentity? now = FileSystemPaths.TryStat(realPath);
        return Kind switch
        {
            StaticPathKind.File => now == Identity,
            StaticPathKind.Directory => now is { IsDirectory: true },
            _ => now is null or { IsRegularFile: false, IsDirectory: false },
        };
    }

    /// <summary>Takes a reference on the handle for one request; false when the cache closed it meanwhile.</summary>
    public bool TryAcquire()
    {
        if (Handle is null)
        {
            return true;
        }
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return added;
    }

    public void Release()
    {
        Handle?.DangerousRelease();
    }

    /// <summary>Closes the handle once no request holds it any more (SafeHandle counts the references).</summary>
    public void Close() => Handle?.Dispose();
}
