using System.Net;
using System.Net.Sockets;

namespace PyHost.Http.Tests.Infrastructure;

/// <summary>Both ends of one real TCP connection on 127.0.0.1, for tests of what a server socket sends.</summary>
public static class LoopbackPair
{
    /// <summary>Connects a client with a small receive buffer (so that the server's side fills soon) to a fresh
    /// listener; returns the server's accepted socket and the client.</summary>
    public static async Task<(Socket Server, Socket Client)> OpenAsync(int clientReceiveBufferBytes = 16 * 1024)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = clientReceiveBufferBytes };
        Task connecting = client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        await connecting;
        return (server, client);
    }
}
