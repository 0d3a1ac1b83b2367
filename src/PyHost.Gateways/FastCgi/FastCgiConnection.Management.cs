using System.Buffers;
using System.Globalization;
using System.Text;

namespace PyHost.Gateways.FastCgi;

// Management records (§4): FCGI_GET_VALUES is answered here, from the options, without bothering the caller.
public sealed partial class FastCgiConnection
{
    private RecordResult GetValues(FastCgiRecordHeader header, ReadOnlySequence<byte> content, IBufferWriter<byte> replies,
        out FastCgiEvent @event, out string? error)
    {
        @event = default;
        if (header.RequestId != FastCgiProtocol.NullRequestId)
        {
            error = $"FCGI_GET_VALUES with request id {header.RequestId}: management records carry id 0";
            return RecordResult.Invalid;
        }
        if (!FastCgiNameValuePairs.TryParse(content.ToArray(), Options.Limits, out CgiVariables? query, out error))
        {
            error = $"FCGI_GET_VALUES: {error}";
            return RecordResult.Invalid;
        }
        // §4.1: "If the application doesn't understand a variable name that was included in the query, it omits that
        // name from the response."
        var values = new List<KeyValuePair<string, string>>(3);
        for (int i = 0; i < query!.Count; i++)
        {
            string name = Encoding.Latin1.GetString(query.NameAt(i));
            string? value = name switch
            {
                FastCgiProtocol.MaxConnections => Options.MaxConnections.ToString(CultureInfo.InvariantCulture),
                FastCgiProtocol.MaxRequests => Options.MaxRequests.ToString(CultureInfo.InvariantCulture),
                FastCgiProtocol.MultiplexesConnections => Options.MaxConcurrentRequests > 1 ? "1" : "0",
                _ => null,
            };
            if (value is not null)
            {
                values.Add(new(name, value));
            }
        }
        FastCgiRecordWriter.WriteGetValuesResult(replies, values);
        @event = new FastCgiEvent(FastCgiEventKind.ManagementAnswered, FastCgiProtocol.NullRequestId);
        return RecordResult.Event;
    }
}
