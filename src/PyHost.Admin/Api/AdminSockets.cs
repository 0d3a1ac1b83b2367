using System.Net;
using System.Net.Sockets;
using PyHost.Configuration.Model;
using PyHost.Http;
using PyHost.Http.Listening;
using PyHost.Workers.Posix;

namespace PyHost.Admin.Api;

/// <summary>
/// The admin API's listening sockets, bound by PyHost and given to Kestrel by descriptor, so that a binary upgrade's
/// successor (SIGUSR2) can listen on the same addresses while its predecessor still serves:
/// <list type="bullet">
/// <item>the unix socket is bound under a private name, made 0600 and listening, then renamed over the control socket's
/// path (rename(2) is atomic: the path always answers, first the old server, then the new one);</item>
/// <item>the TCP address carries SO_REUSEPORT (socket(7)), which lets a successor of the same user bind it beside its
/// predecessor; a server that is not a successor binds without it first, so a second server started by mistake on the
/// same address is refused instead of sharing it.</item>
/// </list>
/// </summary>
internal sealed class AdminSockets : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _temporaryPath;

    private AdminSockets(Socket unix, string path, string temporaryPath, Socket? tcp)
    {
        Unix = unix;
        UnixPath = path;
        _temporaryPath = temporaryPath;
        Tcp = tcp;
    }

    public Socket Unix { get; }

    public string UnixPath { get; }

    public Socket? Tcp { get; }

    /// <summary>Binds both; nothing is at <paramref name="path"/> yet (see <see cref="Publish"/>). Throws
    /// <see cref="IOException"/> with a one-line reason.</summary>
    public static AdminSockets Bind(string path, ListenAddress? tcp, bool takeOver)
    {
        if (!takeOver)
        {
            RefuseIfInUse(path);
        }
        Socket? tcpSocket = tcp is null ? null : BindTcp(tcp, takeOver);
        string temporaryPath = $"{path}.{Environment.ProcessId}.new";
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(temporaryPath);
            unix.Bind(new UnixDomainSocketEndPoint(temporaryPath));
            // Before listen(2): nobody else may ever connect to it.
            File.SetUnixFileMode(temporaryPath, OwnerOnly);
            unix.Listen(64);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            unix.Dispose();
            tcpSocket?.Dispose();
            throw new IOException($"cannot make the control socket {path}: {ex.Message}", ex);
        }
        return new AdminSockets(unix, path, temporaryPath, tcpSocket);
    }

    /// <summary>Puts the unix socket at its path, replacing whatever was there; returns the file's identity.</summary>
    public FileIdentity? Publish()
    {
        File.Move(_temporaryPath, UnixPath, overwrite: true);
        return LibC.IdentityOf(UnixPath);
    }

    /// <summary>Closes the descriptors. .NET unlinks the path a unix socket was bound to, the private name, which the
    /// rename already took away: the control socket's path is left alone.</summary>
    public void Dispose()
    {
        Unix.Dispose();
        Tcp?.Dispose();
        try
        {
            File.Delete(_temporaryPath);   // when the server never got as far as publishing it
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static Socket BindTcp(ListenAddress bind, bool takeOver)
    {
        var endPoint = new IPEndPoint(bind.IsLocalhost ? IPAddress.Loopback : bind.Address!, bind.Port);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            SocketReuse.ReuseAddress(socket);
            if (takeOver)
            {
                SocketReuse.SharePort(socket);
                socket.Bind(endPoint);
            }
            else
            {
                socket.Bind(endPoint);
                // After the bind: only a successor, which sets it before its bind, may share the port from now on.
                SocketReuse.SharePort(socket);
            }
            socket.Listen(64);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            string reason = ex.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? "address already in use: another server listens on it (stop it, or choose another address with --admin)"
                : ex.Message;
            throw new IOException($"cannot listen on {bind.Text}: {reason}", ex);
        }
    }

    /// <summary>A socket file left by a server that died is fine to replace; one that answers belongs to a running server.</summary>
    private static void RefuseIfInUse(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            return;
        }
        throw new IOException($"{path} is in use by another running server");
    }
}
