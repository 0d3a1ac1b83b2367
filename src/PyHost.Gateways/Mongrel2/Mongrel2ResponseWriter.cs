using System.Buffers;
using System.Globalization;
using System.Text;

namespace PyHost.Gateways.Mongrel2;

/// <summary>
/// Writes a handler's message to Mongrel2 (manual, "Complete Message Examples"): <c>UUID SIZE:ID ID ID, BODY</c>,
/// the ids of 1 to 128 client connections as a netstring, then the bytes Mongrel2 passes to those clients as they
/// are: an HTTP response (its head by <see cref="Cgi.CgiResponseWriter"/> with
/// <see cref="Cgi.StatusLineStyle.HttpStatusLine"/>), or the next piece of one. An empty body closes the connections.
/// </summary>
public static class Mongrel2ResponseWriter
{
    public const int MaxConnectionIds = 128;

    public static void Write(IBufferWriter<byte> output, string sender, IReadOnlyList<long> connectionIds, ReadOnlySpan<byte> body)
    {
        WriteAddress(output, sender, connectionIds);
        output.Write(body);
    }

    /// <summary>The message that tells Mongrel2 to close the connections: the address and no body.</summary>
    public static void WriteClose(IBufferWriter<byte> output, string sender, IReadOnlyList<long> connectionIds)
        => WriteAddress(output, sender, connectionIds);

    /// <summary><c>UUID SIZE:ID ID ID, </c>: everything before the body.</summary>
    public static void WriteAddress(IBufferWriter<byte> output, string sender, IReadOnlyList<long> connectionIds)
    {
        if (connectionIds.Count is 0 or > MaxConnectionIds)
        {
            throw new ArgumentException($"a Mongrel2 message names 1 to {MaxConnectionIds} connections, not {connectionIds.Count}", nameof(connectionIds));
        }
        string ids = string.Join(' ', connectionIds.Select(id => id.ToString(CultureInfo.InvariantCulture)));
        output.Write(Encoding.ASCII.GetBytes($"{sender} {ids.Length}:{ids}, "));
    }
}
