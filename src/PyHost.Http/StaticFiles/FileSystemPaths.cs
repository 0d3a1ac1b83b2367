using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.StaticFiles;

/// <summary>What statx(2) says of a file: enough to tell it from another file, or from itself after a change.</summary>
internal readonly record struct FileIdentity(bool IsRegularFile, bool IsDirectory, ulong Device, ulong Inode, long Length, DateTime LastWriteUtc);

/// <summary>An open regular file: its handle (the caller disposes it), and its identity when it was opened.</summary>
internal sealed record OpenedFile(SafeFileHandle Handle, FileIdentity Identity) : IDisposable
{
    public long Length => Identity.Length;

    public DateTime LastWriteUtc => Identity.LastWriteUtc;

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// The file system questions a static mount asks, answered by the kernel itself: realpath(3) for where a path really
/// leads, open(2) and statx(2) for what it is. .NET's own API cannot tell a FIFO from a file before opening it, and
/// opening a FIFO blocks until a writer comes.
/// </summary>
internal static partial class FileSystemPaths
{
    // Linux values, the same on x86-64 and arm64.
    private const int OpenReadOnly = 0;
    private const int OpenNonBlocking = 0x800;     // a FIFO opens at once instead of waiting for a writer
    private const int OpenCloseOnExec = 0x80000;   // the file must not leak into the workers
    private const int AtEmptyPath = 0x1000;
    private const int AtCurrentDirectory = -100;
    private const uint StatxTypeModeInodeSizeMtime = 0x1 | 0x2 | 0x100 | 0x200 | 0x40;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int Directory = 0x4000;

    /// <summary>
    /// The absolute path with every symbolic link and dot segment resolved, or null when a component does not exist
    /// or cannot be searched. Path.GetFullPath only works on the text, so a link inside a mount that points out of it
    /// would pass for a file inside.
    /// </summary>
    public static string? RealPath(string path)
    {
        if (path.Contains('\0'))
        {
            return null;
        }
        IntPtr resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or below it (both real paths).</summary>
    public static bool IsWithin(string path, string directory) =>
        path.StartsWith(directory, StringComparison.Ordinal)
        && (path.Length == directory.Length || path[directory.Length] == '/' || directory == "/");

    /// <summary>Opens <paramref name="path"/> for reading if it is a regular file; null for anything else or on any error.</summary>
    public static OpenedFile? TryOpenRegularFile(string path)
    {
        int descriptor = Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec);
        if (descriptor < 0)
        {
            return null;
        }
        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        // The type is read from the open descriptor, so it is the file we will read, whatever happened to the path.
        if (Statx(descriptor, "", AtEmptyPath, StatxTypeModeInodeSizeMtime, out StatxBuffer status) != 0
            || (status.Mode & FileTypeMask) != RegularFile)
        {
            handle.Dispose();
            return null;
        }
        return new OpenedFile(handle, IdentityOf(status));
    }

    /// <summary>What <paramref name="path"/> is now (symbolic links followed), without opening it; null when it does not exist.</summary>
    public static FileIdentity? TryStat(string path)
    {
        if (path.Contains('\0') || Statx(AtCurrentDirectory, path, 0, StatxTypeModeInodeSizeMtime, out StatxBuffer status) != 0)
        {
            return null;
        }
        return IdentityOf(status);
    }

    private static FileIdentity IdentityOf(in StatxBuffer status) => new(
        (status.Mode & FileTypeMask) == RegularFile,
        (status.Mode & FileTypeMask) == Directory,
        ((ulong)status.DeviceMajor << 32) | status.DeviceMinor,
        status.Inode,
        (long)status.Size,
        DateTime.UnixEpoch.AddTicks(status.ModifiedSeconds * TimeSpan.TicksPerSecond + status.ModifiedNanoseconds / 100));

    /// <summary>The fields of struct statx PyHost reads; the layout is fixed by the kernel ABI on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long ModifiedSeconds;
        [FieldOffset(120)] public uint ModifiedNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryDescriptor, string path, int flags, uint mask, out StatxBuffer status);
}
