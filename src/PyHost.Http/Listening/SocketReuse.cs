using System.Net.Sockets;

namespace PyHost.Http.Listening;

/// <summary>
/// SO_REUSEADDR and SO_REUSEPORT (socket(7)) set one at a time, raw: .NET's SocketOptionName.ReuseAddress sets both on
/// Linux, and with SO_REUSEPORT a second server of the same user could bind a port PyHost listens on and silently
/// share its connections, where it must stop with "address already in use" as nginx and gunicorn do.
/// </summary>
public static class SocketReuse
{
    private const int SolSocket = 1;        // SOL_SOCKET on Linux
    private const int SoReuseAddress = 2;   // SO_REUSEADDR on Linux
    private const int SoReusePort = 15;     // SO_REUSEPORT on Linux

    /// <summary>Connections of a previous run in TIME_WAIT do not block a restart's bind.</summary>
    public static void ReuseAddress(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReuseAddress, BitConverter.GetBytes(1));

    /// <summary>Another socket of the same user that sets it too may bind the same address (a binary upgrade's successor).</summary>
    public static void SharePort(Socket socket) => socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
}
