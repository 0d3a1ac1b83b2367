using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Protocol;
using PyHost.Workers.Dispatch.Buffering;

namespace PyHost.Workers.Channel;

/// <summary>What a worker said after its HELLO was accepted.</summary>
public enum HandshakeResult
{
    Ready,
    BootFailed,
    Closed,
}

/// <summary>
/// Listens on the runtime directory's Unix socket, takes each worker's HELLO, and hands channels that present a valid
/// token to the arbiter. The socket sits in a 0700 directory; the token also guards against a stale or foreign peer.
/// </summary>
public sealed partial class WorkerChannelListener : IAsyncDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _listener;
    private readonly ILogger _logger;
    private readonly BufferBudget _buffers;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _acceptLoop;

    public WorkerChannelListener(string socketPath, ILogger logger, BufferBudget buffers)
    {
        _logger = logger;
        _buffers = buffers;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(512);
    }

    /// <summary>
    /// Starts accepting. <paramref name="authenticate"/> maps a HELLO's "id:token" to a channel name, or null to refuse;
    /// <paramref name="onHandshake"/> is told the outcome (READY text, or the BOOT_FAILED traceback).
    /// </summary>
    public void Start(Func<int, string, WorkerChannel, bool> authenticate, Action<WorkerChannel, int, HandshakeResult, string> onHandshake)
    {
        _acceptLoop = Task.Run(async () =>
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(_stopping.Token);
                }
                catch (Exception) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                _ = HandshakeAsync(socket, authenticate, onHandshake);
            }
        });
    }

    private async Task HandshakeAsync(Socket socket, Func<int, string, WorkerChannel, bool> authenticate, Action<WorkerChannel, int, HandshakeResult, string> onHandshake)
    {
        var channel = new WorkerChannel(socket, "worker ?", _logger, _buffers);
        int workerId = 0;
        try
        {
            using (var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                helloTimeout.CancelAfter(HelloTimeout);
                var hello = await channel.ReadControlFrameAsync(helloTimeout.Token);
                if (hello is not { Header.Type: FrameType.Hello } frame
                    || !TryParseHello(frame.Payload, out workerId, out string token)
                    || !authenticate(workerId, token, channel))
                {
                    LogRefused();
                    await channel.DisposeAsync();
                    return;
                }
            }

            // The app import may take long (Django loads a lot); the arbiter's boot timeout bounds it. An ASGI worker
            // may log while its lifespan starts up.
            var answer = await channel.ReadControlFrameAsync(_stopping.Token);
            while (answer is { Header.Type: FrameType.Log } line)
            {
                channel.Log(line.Header.Flags, line.Payload);
                answer = await channel.ReadControlFrameAsync(_stopping.Token);
            }
            switch (answer)
            {
                case { Header.Type: FrameType.Ready } ready:
                    onHandshake(channel, workerId, HandshakeResult.Ready, Encoding.UTF8.GetString(ready.Payload));
                    break;
                case { Header.Type: FrameType.BootFailed } failed:
                    onHandshake(channel, workerId, HandshakeResult.BootFailed, Encoding.UTF8.GetString(failed.Payload));
                    break;
                default:
                    onHandshake(channel, workerId, HandshakeResult.Closed, "");
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ProtocolException)
        {
            if (workerId != 0)
            {
                onHandshake(channel, workerId, HandshakeResult.Closed, ex.Message);
            }
            else
            {
                await channel.DisposeAsync();
            }
        }
    }

    private static bool TryParseHello(byte[] payload, out int workerId, out string token)
    {
        string text = Encoding.ASCII.GetString(payload);
        int colon = text.IndexOf(':');
        token = colon < 0 ? "" : text[(colon + 1)..];
        workerId = 0;
        return colon > 0 && int.TryParse(text.AsSpan(0, colon), out workerId);
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "refused a connection on the worker socket: no valid HELLO")]
    private partial void LogRefused();
}
