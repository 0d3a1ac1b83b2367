using System.Net;
using System.Net.Sockets;
using PyHost.Configuration.Model;
using PyHost.Workers.Posix;

namespace PyHost.Http.Listening;

/// <summary>How the listeners are set up: what <c>-b</c> asked for, and how Unix sockets are made.</summary>
public sealed record ListenerSettings
{
    /// <summary>The binds to serve besides the inherited sockets (each served by an inherited one when it matches).</summary>
    public required IReadOnlyList<ListenAddress> Binds { get; init; }

    /// <summary>Mode of the Unix socket files PyHost makes: 0660 by default, so a web server in the group may connect.</summary>
    public UnixFileMode UnixSocketMode { get; init; } = (UnixFileMode)0b110_110_000;

    /// <summary>--group: the Unix socket files are given to this group (nginx's, typically).</summary>
    public uint? UnixSocketGroup { get; init; }
}

/// <summary>
/// The front's listening sockets, made before anything else so that a port in use or a bad path stops PyHost at once
/// with one line, before a worker boots, and so that -u/-g can drop privileges after binding. PyHost binds here but
/// does not listen: Kestrel calls listen(2) with --backlog when the workers are ready, so no connection is accepted
/// before PyHost can serve it (a connection before then is refused, not left hanging).
/// </summary>
public sealed class ListenerSet : IDisposable
{
    private readonly List<FrontListener> _listeners;
    private bool _closed;

    private ListenerSet(List<FrontListener> listeners) => _listeners = listeners;

    public IReadOnlyList<FrontListener> Listeners => _listeners;

    /// <summary>Takes the inherited sockets and binds every bind none of them serves. Throws <see cref="ListenException"/>
    /// with a one-line message; nothing stays open then.</summary>
    public static ListenerSet Open(IReadOnlyList<FrontListener> inherited, ListenerSettings settings)
    {
        var listeners = new List<FrontListener>(inherited);
        try
        {
            foreach (ListenAddress bind in settings.Binds)
            {
                if (listeners.FirstOrDefault(listener => listener.InheritedFrom is not null && listener.Serves(bind)) is { } inheritedListener)
                {
                    inheritedListener.Protocol = bind.Protocol;
                    continue;
                }
                int before = listeners.Count;
                if (bind.UnixSocketPath is { } path)
                {
                    listeners.Add(BindUnix(path, settings));
                }
                else if (bind.IsLocalhost)
                {
                    listeners.Add(BindTcp(new IPEndPoint(IPAddress.Loopback, bind.Port), bind.CanonicalUrl));
                    if (Socket.OSSupportsIPv6 && TryBindTcp(new IPEndPoint(IPAddress.IPv6Loopback, listeners[^1].EndPoint!.Port)) is { } ipv6)
                    {
                        listeners.Add(ipv6);   // "localhost" is both loopbacks, where the machine has IPv6
                    }
                }
                else
                {
                    listeners.Add(BindTcp(new IPEndPoint(bind.Address!, bind.Port), bind.CanonicalUrl));
                }
                for (int i = before; i < listeners.Count; i++)
                {
                    listeners[i].Protocol = bind.Protocol;
                }
            }
        }
        catch
        {
            foreach (FrontListener listener in listeners)
            {
                listener.Close(removeSocketFile: listener.InheritedFrom is null);
            }
            throw;
        }
        return new ListenerSet(listeners);
    }

    /// <summary>
    /// Binds one more address (a configuration reload added a listener): the sockets for it, also kept in the set.
    /// Throws <see cref="ListenException"/> with a one-line message; nothing stays open then.
    /// </summary>
    public IReadOnlyList<FrontListener> Bind(ListenAddress bind, ListenerSettings settings)
    {
        using ListenerSet added = Open([], settings with { Binds = [bind] });
        List<FrontListener> taken = [.. added._listeners];
        added._listeners.Clear();
        _listeners.AddRange(taken);
        return taken;
    }

    /// <summary>Closes one listener that a reload removed (its Unix socket file too, if PyHost made it).</summary>
    public void Release(FrontListener listener)
    {
        if (_listeners.Remove(listener))
        {
            listener.Close(removeSocketFile: true);
        }
    }

    /// <summary>For a binary upgrade: the listening descriptors, made inheritable (or close-on-exec again).</summary>
    public IReadOnlyList<int> SetInheritable(bool inheritable)
    {
        foreach (FrontListener listener in _listeners)
        {
            LibC.SetCloseOnExec(listener.Descriptor, !inheritable);
        }
        return _listeners.Select(listener => listener.Descriptor).ToList();
    }

    /// <summary>Closes the descriptors; with <paramref name="removeSocketFiles"/> also the Unix socket files PyHost made
    /// (not after handing them to a successor, which serves on them).</summary>
    public void Close(bool removeSocketFiles)
    {
        _closed = true;
        foreach (FrontListener listener in _listeners)
        {
            listener.Close(removeSocketFiles);
        }
    }

    /// <summary>When start-up failed before the listeners were closed on purpose: what this process bound is removed,
    /// what it inherited is left to its owner.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        foreach (FrontListener listener in _listeners)
        {
            listener.Close(removeSocketFile: listener.InheritedFrom is null);
        }
    }

    private static FrontListener BindTcp(IPEndPoint endPoint, string text)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;   // [::] takes IPv4 too, as gunicorn's and Kestrel's do
            }
            // SO_REUSEADDR alone (.NET's Bind sets it on TCP sockets too; said here so it does not hang on that). A
            // binary upgrade's successor and systemd socket activation inherit the bound socket rather than bind it
            // again, so neither needs SO_REUSEPORT.
            SocketReuse.ReuseAddress(socket);
            socket.Bind(endPoint);
            return new FrontListener(socket, inheritedFrom: null);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ListenException($"cannot listen on {text}: {DescribeTcpError(ex, endPoint)}");
        }
    }

    /// <summary>
    /// listen(2) on a socket bound at start, just before its server starts: the port is bound early but listened on
    /// only once the workers serve, and another server that bound it with SO_REUSEADDR meanwhile and listened first
    /// has taken it. Said in one line, as a failed bind is, where Kestrel's start would fail with a stack trace.
    /// </summary>
    public static void Listen(FrontListener listener, int backlog)
    {
        try
        {
            listener.Socket.Listen(backlog);
        }
        catch (SocketException ex) when (listener.EndPoint is { } endPoint)
        {
            throw new ListenException($"cannot listen on {endPoint}: {DescribeTcpError(ex, endPoint)}");
        }
    }

    private static FrontListener? TryBindTcp(IPEndPoint endPoint)
    {
        try
        {
            return BindTcp(endPoint, endPoint.ToString());
        }
        catch (ListenException)
        {
            return null;
        }
    }

    private static string DescribeTcpError(SocketException error, IPEndPoint endPoint) => error.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse =>
            $"address already in use: another server listens on port {endPoint.Port} (stop it, or choose another port with -b)",
        SocketError.AccessDenied when endPoint.Port < 1024 =>
            $"permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE (PyHost runs as {Accounts.CurrentUserName()}); "
            + "start it as root with -u/-g to drop privileges after binding, or use a port of 1024 or above",
        SocketError.AccessDenied => $"permission denied (PyHost runs as {Accounts.CurrentUserName()})",
        SocketError.AddressNotAvailable => $"{endPoint.Address} is not an address of this machine (use 0.0.0.0 for all of them)",
        _ => error.Message,
    };

    private static FrontListener BindUnix(string path, ListenerSettings settings)
    {
        string text = $"unix:{path}";
        string directory = Path.GetDirectoryName(path) ?? "/";
        if (!Directory.Exists(directory))
        {
            throw new ListenException($"cannot listen on {text}: directory {directory} does not exist");
        }
        RemoveStaleSocket(path, text);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            string cause = ex.SocketErrorCode == SocketError.AccessDenied
                ? $"permission denied: PyHost ({Accounts.CurrentUserName()}) cannot create files in {directory}"
                : ex.SocketErrorCode == SocketError.AddressAlreadyInUse ? $"{path} exists and is not a socket PyHost may replace" : ex.Message;
            throw new ListenException($"cannot listen on {text}: {cause}");
        }
        try
        {
            // Before listen(2): nobody can connect until the mode and group are right.
            File.SetUnixFileMode(path, settings.UnixSocketMode);
            if (settings.UnixSocketGroup is { } group && LibC.ChangeOwner(path, uint.MaxValue, group) != 0)
            {
                throw new ListenException($"cannot give {path} to group {group}: {LibC.Describe(LibC.LastError)}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ListenException)
        {
            socket.Dispose();
            File.Delete(path);
            throw ex as ListenException ?? new ListenException($"cannot set the mode of {path}: {ex.Message}");
        }
        return new FrontListener(socket, inheritedFrom: null);
    }

    /// <summary>A socket file left by a server that died is removed; one that still answers is an error.</summary>
    private static void RemoveStaleSocket(string path, string text)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }
        if (!LibC.IsSocket(path))
        {
            throw new ListenException($"cannot listen on {text}: {path} exists and is not a socket");
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            File.Delete(path);
            return;
        }
        throw new ListenException($"cannot listen on {text}: another server is listening on it (stop it, or choose another path)");
    }
}
