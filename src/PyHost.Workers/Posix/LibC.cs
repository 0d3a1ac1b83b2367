using System.Runtime.InteropServices;

namespace PyHost.Workers.Posix;

/// <summary>
/// The few libc calls PyHost needs that .NET does not offer: file descriptor flags, umask, ownership, user and group
/// ids, signal dispositions, and file identity. Linux values, the same on x86-64 and arm64. Every call is a
/// source-generated P/Invoke, so NativeAOT needs nothing more.
/// </summary>
public static partial class LibC
{
    public const int OpenWriteOnly = 0x1;
    public const int OpenCreate = 0x40;
    public const int OpenAppend = 0x400;
    public const int OpenCloseOnExec = 0x80000;

    private const int GetDescriptorFlags = 1;    // F_GETFD
    private const int SetDescriptorFlags = 2;    // F_SETFD
    private const int CloseOnExecFlag = 1;       // FD_CLOEXEC
    private const int AtEmptyPath = 0x1000;
    private const uint StatxInode = 0x100;
    private const int WriteAccess = 2;           // W_OK

    /// <summary>
    /// Fills <paramref name="buffer"/> from the kernel's random generator (getrandom(2), blocking only before it is
    /// seeded at boot). .NET's RandomNumberGenerator asks OpenSSL, which loads libcrypto into a front that has no TLS:
    /// 3.4 MB of resident memory for 16 bytes per worker.
    /// </summary>
    public static void FillRandom(Span<byte> buffer)
    {
        const int Interrupted = 4;   // EINTR
        while (!buffer.IsEmpty)
        {
            nint filled = GetRandom(ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length, 0);
            if (filled < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
                {
                    continue;
                }
                throw new IOException($"getrandom: {Describe(errno)}", errno);
            }
            buffer = buffer[(int)filled..];
        }
    }

    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetRandom(ref byte buffer, nuint length, uint flags);

    /// <summary>errno of the last call made through this class.</summary>
    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>strerror(errno) as .NET words it, e.g. "Permission denied".</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Whether the descriptor is closed on exec: .NET sets it on every descriptor it makes, but not on
    /// descriptors handed to us (systemd's sockets, an upgrade's), which would then leak into every worker.</summary>
    public static void SetCloseOnExec(int descriptor, bool closeOnExec)
    {
        int flags = FileControl(descriptor, GetDescriptorFlags, 0);
        if (flags < 0)
        {
            throw new IOException($"fcntl(F_GETFD) on descriptor {descriptor}: {Describe(LastError)}");
        }
        int wanted = closeOnExec ? flags | CloseOnExecFlag : flags & ~CloseOnExecFlag;
        if (wanted != flags && FileControl(descriptor, SetDescriptorFlags, wanted) < 0)
        {
            throw new IOException($"fcntl(F_SETFD) on descriptor {descriptor}: {Describe(LastError)}");
        }
    }

    public static bool IsOpen(int descriptor) => FileControl(descriptor, GetDescriptorFlags, 0) >= 0;

    /// <summary>The device and inode of an open descriptor (statx with AT_EMPTY_PATH), or null.</summary>
    public static FileIdentity? IdentityOf(int descriptor) =>
        Statx(descriptor, "", AtEmptyPath, StatxInode, out StatxBuffer status) == 0 ? FileIdentity.From(status) : null;

    /// <summary>The device and inode of a path (not following a final symbolic link), or null.</summary>
    public static FileIdentity? IdentityOf(string path) =>
        Statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, StatxInode, out StatxBuffer status) == 0
            ? FileIdentity.From(status)
            : null;

    /// <summary>The owner's user id of a path (not following a final symbolic link), or null.</summary>
    public static uint? OwnerOf(string path) =>
        Statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x8 /* STATX_UID */, out StatxBuffer status) == 0
            ? status.Owner
            : null;

    /// <summary>Whether the path is a Unix socket (not following a final symbolic link).</summary>
    public static bool IsSocket(string path) =>
        Statx(-100 /* AT_FDCWD */, path, 0x100 /* AT_SYMLINK_NOFOLLOW */, 0x1 /* STATX_TYPE */, out StatxBuffer status) == 0
        && (status.Mode & 0xF000) == 0xC000;

    /// <summary>access(2) with W_OK: judged with the real ids, so right after a privilege drop too.</summary>
    public static bool IsWritable(string path) => Access(path, WriteAccess) == 0;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FileControl(int descriptor, int command, int argument);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint SetUmask(uint mask);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int ChangeOwner(string path, uint user, uint group);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "getuid")]
    public static partial uint GetUserId();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getgid")]
    public static partial uint GetGroupId();

    [LibraryImport("libc", EntryPoint = "setgroups", SetLastError = true)]
    public static partial int SetGroups(nuint count, uint[] groups);

    [LibraryImport("libc", EntryPoint = "setgid", SetLastError = true)]
    public static partial int SetGroupId(uint group);

    [LibraryImport("libc", EntryPoint = "setuid", SetLastError = true)]
    public static partial int SetUserId(uint user);

    /// <summary>getpwnam(3): a pointer to a static struct passwd, or zero when there is no such user.</summary>
    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial IntPtr GetPasswordEntry(string name);

    [LibraryImport("libc", EntryPoint = "getpwuid", SetLastError = true)]
    public static partial IntPtr GetPasswordEntry(uint user);

    /// <summary>getgrnam(3): a pointer to a static struct group, or zero when there is no such group.</summary>
    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial IntPtr GetGroupEntry(string name);

    [LibraryImport("libc", EntryPoint = "getgrgid", SetLastError = true)]
    public static partial IntPtr GetGroupEntry(uint group);

    /// <summary>
    /// Puts back the default disposition of a signal that was inherited as ignored (nohup, a background job), so that
    /// .NET installs its handler for it: it leaves an ignored signal ignored. Must run before .NET first sets up
    /// signal handling (it does so for SIGINT and SIGQUIT when Console or Process is first used); a signal that has
    /// a handler already is left alone.
    /// </summary>
    public static void ResetIfIgnored(int signal)
    {
        // struct sigaction starts with the handler on Linux (x86-64 and arm64); the rest is read, not interpreted.
        Span<byte> action = stackalloc byte[256];
        action.Clear();
        if (SignalAction(signal, IntPtr.Zero, ref MemoryMarshal.GetReference(action)) == 0
            && MemoryMarshal.Read<IntPtr>(action) == IgnoreSignal)
        {
            SetSignalHandler(signal, IntPtr.Zero);
        }
    }

    private static readonly IntPtr IgnoreSignal = 1;   // SIG_IGN

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int SignalAction(int signal, IntPtr newAction, ref byte oldAction);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr SetSignalHandler(int signal, IntPtr handler);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryDescriptor, string path, int flags, uint mask, out StatxBuffer status);

    /// <summary>The fields of struct statx read here; the layout is fixed by the kernel ABI on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(20)] public uint Owner;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }
}

/// <summary>A file's identity: the device it is on and its inode. Two paths or descriptors with the same identity are
/// the same file.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    internal static FileIdentity From(LibC.StatxBuffer status) => new(MakeDevice(status.DeviceMajor, status.DeviceMinor), status.Inode);

    /// <summary>glibc's makedev(3): how st_dev encodes a major and minor number (and how systemd prints it in
    /// $JOURNAL_STREAM).</summary>
    private static ulong MakeDevice(ulong major, ulong minor) =>
        ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff);
}
