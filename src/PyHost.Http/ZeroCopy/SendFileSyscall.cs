using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.ZeroCopy;

/// <summary>sendfile(2) from a regular file to a non-blocking socket, with both descriptors held open for the call.</summary>
internal static partial class SendFileSyscall
{
    /// <summary>What one call did, besides sending bytes.</summary>
    public const long WouldBlock = -1;
    public const long NotSupported = -2;

    // Linux sends at most 0x7ffff000 bytes per call; asking for less keeps one call's time bounded on a fast socket.
    private const long MaxBytesPerCall = 1L << 30;

    private const int EINTR = 4;
    private const int EAGAIN = 11;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;

    /// <summary>
    /// Bytes sent (more than 0), 0 when the file ends before <paramref name="offset"/> (it shrank),
    /// <see cref="WouldBlock"/> when the socket's buffer is full, <see cref="NotSupported"/> when this file cannot be
    /// sent this way (a file system without splice support); throws <see cref="IOException"/> for a broken connection
    /// and <see cref="ObjectDisposedException"/> for a closed socket.
    /// </summary>
    public static long Send(SafeSocketHandle socket, SafeFileHandle file, long offset, long count)
    {
        bool socketHeld = false, fileHeld = false;
        try
        {
            // Held, a descriptor cannot be closed and its number reused by another open while the kernel uses it.
            socket.DangerousAddRef(ref socketHeld);
            file.DangerousAddRef(ref fileHeld);
            int socketFd = (int)socket.DangerousGetHandle();
            int fileFd = (int)file.DangerousGetHandle();
            while (true)
            {
                long position = offset;
                nint sent = SendFile(socketFd, fileFd, ref position, (nuint)Math.Min(count, MaxBytesPerCall));
                if (sent >= 0)
                {
                    return sent;
                }
                int errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case EINTR:
                        continue;
                    case EAGAIN:
                        return WouldBlock;
                    case EINVAL or ENOSYS or EOPNOTSUPP:
                        return NotSupported;
                    default:
                        throw new IOException($"sendfile: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
                }
            }
        }
        finally
        {
            if (fileHeld)
            {
                file.DangerousRelease();
            }
            if (socketHeld)
            {
                socket.DangerousRelease();
            }
        }
    }

    // off_t is 64 bits on every 64-bit Linux (the only platform PyHost ships for), so this is sendfile64.
    [LibraryImport("libc", EntryPoint = "sendfile", SetLastError = true)]
    private static partial nint SendFile(int outFd, int inFd, ref long offset, nuint count);
}
