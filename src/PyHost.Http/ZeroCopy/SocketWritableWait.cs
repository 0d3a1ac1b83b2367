using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// Waits until a socket whose send buffer sendfile(2) found full can take bytes again, without sending any. .NET's
/// sockets only wait for room inside a send, so the send loop used to send one byte of the file the ordinary way to wait:
/// a 1-byte TCP segment on the wire, a read of the file and two more system calls each time. Here the socket is armed
/// in an epoll instance of PyHost's own for one EPOLLOUT
/// report (EPOLLONESHOT, epoll(7)), which one thread per process waits for; an idle or reading connection costs nothing.
/// A socket can be in several epoll instances at once: .NET's own keeps it too, for the connection's reads.
/// </summary>
internal sealed partial class SocketWritableWait : IValueTaskSource, IDisposable
{
    private readonly Socket _socket;
    private readonly long _id;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private int _pending;      // 1 while a wait is armed and not yet completed
    private bool _registered;  // the socket is in the poller's epoll set (armed or not)

    public SocketWritableWait(Socket socket)
    {
        _socket = socket;
        _id = Poller.Instance.Add(this);
    }

    /// <summary>Completes when the socket can take bytes, or has failed (the next send says how); throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellation"/> fires first (the connection ended).</summary>
    public ValueTask WaitAsync(CancellationToken cancellation)
    {
        _core.Reset();
        Volatile.Write(ref _pending, 1);
        _cancellation = cancellation.UnsafeRegister(static state => ((SocketWritableWait)state!).Complete(
            new OperationCanceledException("The connection ended while its send waited for room.")), this);
        try
        {
            Arm();
        }
        catch (Exception error)
        {
            Complete(error);
        }
        return new ValueTask(this, _core.Version);
    }

    private void Arm()
    {
        bool held = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref held);   // the descriptor's number cannot be reused meanwhile
            int fd = (int)_socket.SafeHandle.DangerousGetHandle();
            Poller.Instance.Arm(fd, _id, ref _registered);
        }
        finally
        {
            if (held)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    private void Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _pending, 0) == 0)
        {
            return;   // the other of the two (room, or the connection's end) came first
        }
        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }

    public void GetResult(short token)
    {
        _cancellation.Unregister();
        _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Forgets the socket: a report that comes later finds no one. Leaves the epoll set while the socket is open
    /// (a closed descriptor leaves it by itself).</summary>
    public void Dispose()
    {
        Poller.Instance.Remove(_id);
        if (!_registered)
        {
            return;
        }
        bool held = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref held);
            Poller.Instance.Forget((int)_socket.SafeHandle.DangerousGetHandle());
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (held)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>The process's epoll instance for send-buffer room, and the thread that waits on it.</summary>
    private sealed partial class Poller
    {
        public static readonly Poller Instance = new();

        private const int EpollCloseOnExec = 0x80000;   // EPOLL_CLOEXEC
        private const int ControlAdd = 1, ControlDelete = 2, ControlModify = 3;   // EPOLL_CTL_*
        private const uint Out = 0x004, OneShot = 1u << 30;  // EPOLLOUT, EPOLLONESHOT
        private const int EINTR = 4, EEXIST = 17;
        private const int MaxEvents = 64;

        // struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned elsewhere (16, at 8).
        private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
        private static readonly int DataOffset = EventSize - 8;

        private readonly ConcurrentDictionary<long, SocketWritableWait> _waits = new();
        private readonly int _epoll;
        private long _lastId;

        private Poller()
        {
            _epoll = EpollCreate(EpollCloseOnExec);
            if (_epoll < 0)
            {
                throw new IOException($"epoll_create1: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            new Thread(WaitLoop) { IsBackground = true, Name = "PyHost sendfile" }.Start();
        }

        public long Add(SocketWritableWait wait)
        {
            long id = Interlocked.Increment(ref _lastId);
            _waits[id] = wait;
            return id;
        }

        public void Remove(long id) => _waits.TryRemove(id, out _);

        public void Arm(int fd, long id, ref bool registered)
        {
            Span<byte> ev = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(ev, Out | OneShot);
            BinaryPrimitives.WriteInt64LittleEndian(ev[DataOffset..], id);
            // Arming reports at once if there is room already (the kernel polls the socket then), so room that came
            // between sendfile's EAGAIN and this call is not missed.
            int result = Control(_epoll, registered ? ControlModify : ControlAdd, fd, ref MemoryMarshal.GetReference(ev));
            if (result < 0 && Marshal.GetLastPInvokeError() == EEXIST)
            {
                result = Control(_epoll, ControlModify, fd, ref MemoryMarshal.GetReference(ev));
            }
            if (result < 0)
            {
                throw new IOException($"epoll_ctl: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            registered = true;
        }

        public void Forget(int fd)
        {
            Span<byte> ev = stackalloc byte[16];
            _ = Control(_epoll, ControlDelete, fd, ref MemoryMarshal.GetReference(ev));
        }

        private void WaitLoop()
        {
            byte[] events = GC.AllocateArray<byte>(MaxEvents * EventSize, pinned: true);
            while (true)
            {
                int count = Wait(_epoll, ref events[0], MaxEvents, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR)
                    {
                        continue;
                    }
                    return;   // the instance is broken: waits then end with their connections
                }
                for (int i = 0; i < count; i++)
                {
                    long id = BinaryPrimitives.ReadInt64LittleEndian(events.AsSpan(i * EventSize + DataOffset, 8));
                    if (_waits.TryGetValue(id, out SocketWritableWait? wait))
                    {
                        wait.Complete(null);
                    }
                }
            }
        }

        [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        private static partial int EpollCreate(int flags);

        [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        private static partial int Control(int epoll, int operation, int fd, ref byte ev);

        [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        private static partial int Wait(int epoll, ref byte events, int maxEvents, int timeout);
    }
}
