using System.IO.Pipelines;

namespace PyHost.Http.Gateways;

/// <summary>How a read on a gateway connection ended.</summary>
internal enum GatewayReadStatus
{
    /// <summary>Bytes arrived (or the peer closed: <see cref="ReadResult.IsCompleted"/>).</summary>
    Read,

    /// <summary>Nothing came within the time allowed.</summary>
    TimedOut,

    /// <summary>The server is stopping and the connection is idle between requests.</summary>
    Stopping,

    /// <summary>The caller's own token ended the wait.</summary>
    Interrupted,
}

/// <summary>
/// The input side of one gateway connection: reads that give up after a timeout, as Kestrel's do for HTTP (a head
/// that comes too slowly, a keep-alive connection left idle, a body slower than the minimum rate), and reads between
/// requests that end when the server stops. A read that finds bytes already there arms no timer.
/// </summary>
internal sealed class GatewayInput : IDisposable
{
    private CancellationTokenSource _timer = new();
    private CancellationTokenRegistration _timerRegistration;
    private readonly CancellationTokenRegistration _stopRegistration;
    private volatile bool _idle;

    public GatewayInput(PipeReader reader, CancellationToken stopping)
    {
        Reader = reader;
        _timerRegistration = _timer.Token.Register(static state => ((PipeReader)state!).CancelPendingRead(), reader);
        _stopRegistration = stopping.Register(static state => ((GatewayInput)state!).OnStopping(), this);
        Stopping = stopping;
    }

    public PipeReader Reader { get; }

    public CancellationToken Stopping { get; }

    /// <summary>Reads with a time limit (<see cref="Timeout.InfiniteTimeSpan"/>: none). <paramref name="idle"/>: the
    /// connection is between requests, so a stopping server ends the wait. Only a <see cref="GatewayReadStatus.Read"/>
    /// result must be advanced by the caller.</summary>
    public async ValueTask<(GatewayReadStatus Status, ReadResult Result)> ReadAsync(
        TimeSpan timeout, bool idle = false, CancellationToken interrupt = default)
    {
        bool armed = false;
        using CancellationTokenRegistration interruption = interrupt.CanBeCanceled
            ? interrupt.UnsafeRegister(static state => ((PipeReader)state!).CancelPendingRead(), Reader)
            : default;
        try
        {
            while (true)
            {
                if (idle && Stopping.IsCancellationRequested)
                {
                    return (GatewayReadStatus.Stopping, default);
                }
                if (interrupt.IsCancellationRequested)
                {
                    return (GatewayReadStatus.Interrupted, default);
                }
                ValueTask<ReadResult> pending = Reader.ReadAsync();
                if (!pending.IsCompleted && !armed)
                {
                    armed = true;
                    _idle = idle;
                    if (timeout != Timeout.InfiniteTimeSpan)
                    {
                        _timer.CancelAfter(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1));
                    }
                }
                ReadResult result = await pending;
                if (!result.IsCanceled)
                {
                    return (GatewayReadStatus.Read, result);
                }
                Reader.AdvanceTo(result.Buffer.Start);
                if (_timer.IsCancellationRequested)
                {
                    return (GatewayReadStatus.TimedOut, default);
                }
                // Else the server is stopping (checked above), or a timer fired just after an earlier read: read again.
            }
        }
        finally
        {
            if (armed)
            {
                _idle = false;
                ResetTimer();
            }
        }
    }

    private void ResetTimer()
    {
        // TryReset also drops every registration, so CancelPendingRead is registered again either way.
        if (!_timer.TryReset())
        {
            // It fired: a cancelled token cannot be reused, and its CancelPendingRead may be pending on the reader.
            _timerRegistration.Dispose();
            _timer.Dispose();
            _timer = new CancellationTokenSource();
        }
        _timerRegistration = _timer.Token.Register(static state => ((PipeReader)state!).CancelPendingRead(), Reader);
    }

    private void OnStopping()
    {
        if (_idle)
        {
            Reader.CancelPendingRead();
        }
    }

    public void Dispose()
    {
        _timerRegistration.Dispose();
        _stopRegistration.Dispose();
        _timer.Dispose();
    }
}
