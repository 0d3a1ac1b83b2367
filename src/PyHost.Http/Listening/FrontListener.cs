using System.Net;
using System.Net.Sockets;
using PyHost.Configuration.Model;
using PyHost.Workers.Posix;

namespace PyHost.Http.Listening;

/// <summary>
/// One listening socket the front serves: bound by PyHost from a <c>-b</c>, or inherited (systemd socket activation,
/// or the previous PyHost of a binary upgrade). PyHost owns the descriptor; Kestrel is given it with ListenHandle.
/// </summary>
public sealed class FrontListener : IDisposable
{
    private readonly FileIdentity? _socketFile;
    private readonly string _httpUrl;

    internal FrontListener(Socket socket, string? inheritedFrom)
    {
        Socket = socket;
        InheritedFrom = inheritedFrom;
        switch (socket.LocalEndPoint)
        {
            case UnixDomainSocketEndPoint unix:
                UnixSocketPath = unix.ToString();
                _httpUrl = $"http://unix:{UnixSocketPath}";
                // PyHost made the file, or took it over from the PyHost it replaced (SIGUSR2); systemd's is systemd's.
                _socketFile = inheritedFrom is null || inheritedFrom == InheritedSockets.PreviousPyHost ? LibC.IdentityOf(UnixSocketPath) : null;
                break;
            case IPEndPoint ip:
                EndPoint = ip;
                _httpUrl = $"http://{ip}";
                break;
            default:
                _httpUrl = $"http://{socket.LocalEndPoint}";
                break;
        }
    }

    public Socket Socket { get; }

    /// <summary>The listening descriptor, as Kestrel's ListenHandle and a binary upgrade's child take it.</summary>
    public int Descriptor => (int)Socket.Handle;

    /// <summary>What PyHost prints: http://127.0.0.1:8000, http://[::1]:8000, http://unix:/run/site.sock; for a
    /// gateway, uwsgi://127.0.0.1:8001, fastcgi+unix:/run/site.sock.</summary>
    public string Url => Protocol == ListenerProtocol.Http ? _httpUrl
        : UnixSocketPath is { } path ? $"{ListenAddress.SchemeName(Protocol)}+unix:{path}"
        : $"{ListenAddress.SchemeName(Protocol)}://{(EndPoint is null ? Socket.LocalEndPoint : EndPoint)}";

    /// <summary>What the listener speaks: HTTP, or the protocol of a web server in front, as its <c>-b</c> says.</summary>
    public ListenerProtocol Protocol { get; internal set; } = ListenerProtocol.Http;

    public IPEndPoint? EndPoint { get; }

    public string? UnixSocketPath { get; }

    /// <summary>"systemd" or "the previous pyhost" for an inherited socket; null for one PyHost bound itself.</summary>
    public string? InheritedFrom { get; }

    /// <summary>Whether this listener is what <paramref name="bind"/> asks for (same address and port, or path).</summary>
    public bool Serves(ListenAddress bind)
    {
        if (bind.UnixSocketPath is { } path)
        {
            return UnixSocketPath == path;
        }
        if (EndPoint is null || EndPoint.Port != bind.Port)
        {
            return false;
        }
        return bind.IsLocalhost
            ? IPAddress.IsLoopback(EndPoint.Address)
            : EndPoint.Address.Equals(bind.Address);
    }

    /// <summary>
    /// Closes the listening socket; with <paramref name="removeSocketFile"/> also removes the Unix socket file PyHost
    /// made or took over. Without it (after a hand-over to a successor, which serves the same file), a Unix socket this
    /// process bound is left open until the process exits: .NET deletes the file of a Unix socket it bound when the
    /// Socket is disposed, and the successor's socket would lose its name.
    /// </summary>
    public void Close(bool removeSocketFile)
    {
        if (!removeSocketFile && UnixSocketPath is not null && InheritedFrom is null)
        {
            return;
        }
        Socket.Dispose();
        if (removeSocketFile)
        {
            RemoveSocketFile();
        }
    }

    /// <summary>Removes the Unix socket file PyHost made (or took over), unless another server has since put its own
    /// there.</summary>
    private void RemoveSocketFile()
    {
        if (UnixSocketPath is { } path && _socketFile is { } identity && LibC.IdentityOf(path) == identity)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // After dropping privileges the directory may be root's: the next start removes a stale file.
            }
        }
    }

    public void Dispose() => Close(removeSocketFile: false);
}
