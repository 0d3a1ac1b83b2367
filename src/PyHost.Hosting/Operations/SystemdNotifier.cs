using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace PyHost.Hosting.Operations;

/// <summary>
/// sd_notify(3) without libsystemd: datagrams to $NOTIFY_SOCKET (a path, or an abstract name written with a leading
/// '@'). READY=1 once PyHost serves, RELOADING=1 with MONOTONIC_USEC on SIGHUP and READY=1 again when the reload is
/// done, STOPPING=1 when it stops, STATUS= with a one-line summary, WATCHDOG=1 every half $WATCHDOG_USEC while the
/// arbiter's loop turns. The variables are removed from the environment, so workers cannot notify in PyHost's name.
/// Without $NOTIFY_SOCKET every call does nothing.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly TimeSpan? _watchdogInterval;
    private readonly string? _address;
    private Timer? _watchdog;

    private SystemdNotifier(Socket? socket, UnixDomainSocketEndPoint? endPoint, TimeSpan? watchdogInterval, string? address)
    {
        _socket = socket;
        _endPoint = endPoint;
        _watchdogInterval = watchdogInterval;
        _address = address;
    }

    public bool IsActive => _socket is not null;

    /// <summary>Reads (and removes) $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.</summary>
    public static SystemdNotifier FromEnvironment()
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        string? watchdogMicroseconds = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        string? watchdogPid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        foreach (string name in new[] { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID" })
        {
            Environment.SetEnvironmentVariable(name, null);
        }
        if (string.IsNullOrEmpty(path) || (path[0] != '/' && path[0] != '@'))
        {
            return new SystemdNotifier(null, null, null, null);
        }
        // An abstract socket name is written with '@' for the leading NUL byte (systemd.exec(5)).
        var endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        TimeSpan? interval = null;
        if (ulong.TryParse(watchdogMicroseconds, NumberStyles.None, CultureInfo.InvariantCulture, out ulong microseconds) && microseconds > 0
            && (string.IsNullOrEmpty(watchdogPid) || watchdogPid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        {
            interval = TimeSpan.FromMicroseconds(microseconds / 2.0);   // sd_watchdog_enabled(3): ping at half the time
        }
        return new SystemdNotifier(socket, endPoint, interval, path);
    }

    /// <summary>The environment a binary upgrade's successor needs to notify in our place (NotifyAccess=all).</summary>
    public IEnumerable<KeyValuePair<string, string>> EnvironmentForSuccessor()
    {
        if (_address is not null)
        {
            yield return new("NOTIFY_SOCKET", _address);
            if (_watchdogInterval is { } interval)
            {
                yield return new("WATCHDOG_USEC", ((long)(interval.TotalMicroseconds * 2)).ToString(CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>READY=1 and the status; with <paramref name="mainPid"/> also MAINPID= (a binary upgrade's successor
    /// takes over as the service's main process). Starts the watchdog pings.</summary>
    public void Ready(string status, Func<bool> healthy, bool mainPid = false)
    {
        Send($"READY=1\nSTATUS={OneLine(status)}" + (mainPid ? $"\nMAINPID={Environment.ProcessId}" : ""));
        if (_watchdogInterval is { } interval && _watchdog is null)
        {
            _watchdog = new Timer(_ =>
            {
                if (healthy())
                {
                    Send("WATCHDOG=1");
                }
            }, null, TimeSpan.Zero, interval);
        }
    }

    /// <summary>RELOADING=1 with the monotonic clock in microseconds, as systemd wants it (CLOCK_MONOTONIC, which
    /// Stopwatch reads on Linux).</summary>
    public void Reloading(string status) =>
        Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS={OneLine(status)}");

    /// <summary>READY=1 again after a reload (done or abandoned).</summary>
    public void Reloaded(string status) => Send($"READY=1\nSTATUS={OneLine(status)}");

    public void Status(string status) => Send($"STATUS={OneLine(status)}");

    public void Stopping(string status)
    {
        _watchdog?.Dispose();
        Send($"STOPPING=1\nSTATUS={OneLine(status)}");
    }

    /// <summary>After a hand-over the successor is the service's main process: nothing more is said in its name.</summary>
    public void Silence()
    {
        _watchdog?.Dispose();
        _socket?.Dispose();
    }

    public void Dispose()
    {
        _watchdog?.Dispose();
        _socket?.Dispose();
    }

    private static long MonotonicMicroseconds() =>
        (long)((Int128)Stopwatch.GetTimestamp() * 1_000_000 / Stopwatch.Frequency);

    private static string OneLine(string text) => text.Replace('\n', ' ');

    private void Send(string message)
    {
        if (_socket is null || _endPoint is null)
        {
            return;
        }
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), _endPoint);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // systemd went away or never listened: notification is best effort, as in libsystemd.
        }
    }
}
