using System.Buffers;
using PyHost.Gateways.FastCgi;

namespace PyHost.Gateways.Tests.FastCgi;

/// <summary>Feeds bytes to a <see cref="FastCgiConnection"/> the way a listener would, and writes each event down
/// as text, so whole runs compare with one assertion.</summary>
internal sealed class FastCgiEvents
{
    public FastCgiEvents(FastCgiConnection? connection = null)
    {
        Connection = connection ?? new FastCgiConnection();
    }

    public FastCgiConnection Connection { get; }

    public List<string> Events { get; } = [];

    public List<FastCgiEvent> Raw { get; } = [];

    public Dictionary<ushort, List<byte>> Bodies { get; } = [];

    public ArrayBufferWriter<byte> Replies { get; } = new();

    public string? Error { get; private set; }

    /// <summary>Reads every event the bytes hold; returns the status that stopped it, and how much was consumed.</summary>
    public (OperationStatus Status, long Consumed) Feed(ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        while (true)
        {
            OperationStatus status = Connection.TryReadEvent(ref reader, Replies, out FastCgiEvent @event, out string? error);
            if (status != OperationStatus.Done)
            {
                Error = error;
                return (status, reader.Consumed);
            }
            Raw.Add(@event);
            Events.Add(Describe(@event));
            if (@event.Kind == FastCgiEventKind.StdinData)
            {
                if (!Bodies.TryGetValue(@event.RequestId, out List<byte>? body))
                {
                    Bodies[@event.RequestId] = body = [];
                }
                body.AddRange(@event.Data.ToArray());
            }
        }
    }

    public (OperationStatus Status, long Consumed) Feed(byte[] bytes) => Feed(new ReadOnlySequence<byte>(bytes));

    /// <summary>Short data as hex; longer data (a 40 kB upload, thousands of times over) by its length and a hash
    /// that is the same for the same bytes within one test run.</summary>
    private static string DescribeData(ReadOnlySequence<byte> data)
    {
        if (data.Length <= 32)
        {
            return Convert.ToHexString(data.ToArray());
        }
        var hash = new HashCode();
        hash.AddBytes(data.ToArray());   // whole: AddBytes hashes differently across calls
        return $"{data.Length} bytes, hash {hash.ToHashCode():X8}";
    }

    private static string Describe(FastCgiEvent @event) => @event.Kind switch
    {
        FastCgiEventKind.RequestBegan => $"began #{@event.RequestId} keep={@event.KeepConnection}",
        FastCgiEventKind.ParamsComplete => $"params #{@event.RequestId} "
            + string.Join("|", @event.Variables!.ToLatin1Pairs().Select(pair => $"{pair.Key}={pair.Value}")),
        FastCgiEventKind.StdinData => $"stdin #{@event.RequestId} {DescribeData(@event.Data)}",
        FastCgiEventKind.StdinEnded => $"stdin end #{@event.RequestId}",
        FastCgiEventKind.Aborted => $"aborted #{@event.RequestId}",
        FastCgiEventKind.RequestRejected => $"rejected #{@event.RequestId} {@event.RejectedWith}",
        _ => $"management #{@event.RequestId}",
    };
}
