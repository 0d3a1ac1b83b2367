using System.Globalization;
using System.Net.Sockets;
using PyHost.Workers.Posix;

namespace PyHost.Http.Listening;

/// <summary>
/// Listening sockets handed over at exec: by systemd (socket activation, sd_listen_fds(3): descriptors 3 to
/// 3+$LISTEN_FDS-1, meant for us when $LISTEN_PID is our pid), or by the PyHost this one replaces on SIGUSR2
/// (<see cref="UpgradeVariable"/> lists the descriptor numbers: their numbers are whatever the old process had, and
/// the old process cannot know our pid before exec to set LISTEN_PID). The variables are removed once read, so the
/// workers never see them, and the descriptors are made close-on-exec, so the workers never inherit them.
/// </summary>
public static class InheritedSockets
{
    public const string UpgradeVariable = "PYHOST_LISTEN_FDS";

    /// <summary>Where a socket handed over by a binary upgrade came from (as <see cref="FrontListener.InheritedFrom"/>).</summary>
    public const string PreviousPyHost = "the previous pyhost";

    private const int FirstSystemdDescriptor = 3;   // SD_LISTEN_FDS_START
    private const int SocketLevel = 1;              // SOL_SOCKET
    private const int AcceptingConnections = 30;    // SO_ACCEPTCONN

    public static IReadOnlyList<FrontListener> Take()
    {
        var taken = new List<FrontListener>();
        string? upgrade = Environment.GetEnvironmentVariable(UpgradeVariable);
        string? systemdCount = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? systemdPid = Environment.GetEnvironmentVariable("LISTEN_PID");
        foreach (string name in new[] { UpgradeVariable, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES" })
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        if (!string.IsNullOrEmpty(upgrade))
        {
            foreach (string text in upgrade.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int descriptor))
                {
                    throw new ListenException($"${UpgradeVariable}='{upgrade}': expected descriptor numbers separated by commas");
                }
                taken.Add(Adopt(descriptor, PreviousPyHost, UpgradeVariable));
            }
        }
        // A LISTEN_PID of another process means the variables were inherited by mistake (e.g. through a shell):
        // sd_listen_fds(3) ignores them, and so does PyHost.
        if (!string.IsNullOrEmpty(systemdCount) && systemdPid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            if (!int.TryParse(systemdCount, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                throw new ListenException($"$LISTEN_FDS='{systemdCount}' is not a number of descriptors");
            }
            for (int descriptor = FirstSystemdDescriptor; descriptor < FirstSystemdDescriptor + count; descriptor++)
            {
                taken.Add(Adopt(descriptor, "systemd", "LISTEN_FDS"));
            }
        }
        return taken;
    }

    private static FrontListener Adopt(int descriptor, string from, string variable)
    {
        if (!LibC.IsOpen(descriptor))
        {
            throw new ListenException($"${variable} names descriptor {descriptor}, which is not open");
        }
        Socket socket;
        try
        {
            socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        }
        catch (SocketException ex)
        {
            throw new ListenException($"${variable}: descriptor {descriptor} from {from} is not a socket ({ex.Message})");
        }
        SocketType type = socket.SocketType;
        if (type != SocketType.Stream)
        {
            socket.Dispose();
            throw new ListenException($"${variable}: descriptor {descriptor} from {from} is a {type} socket; "
                                      + "PyHost serves stream sockets (ListenStream= in the socket unit)");
        }
        LibC.SetCloseOnExec(descriptor, true);
        Span<byte> accepting = stackalloc byte[sizeof(int)];
        if (socket.GetRawSocketOption(SocketLevel, AcceptingConnections, accepting) != sizeof(int) || BitConverter.ToInt32(accepting) == 0)
        {
            socket.Dispose();
            throw new ListenException($"${variable}: descriptor {descriptor} from {from} is not a listening socket");
        }
        return new FrontListener(socket, from);
    }
}
