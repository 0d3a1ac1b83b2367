using System.Buffers;

namespace PyHost.Gateways;

/// <summary>
/// The length prefix of a netstring (D. J. Bernstein, "Netstrings", 1997): decimal digits, then ':'. An SCGI request's
/// headers are one netstring; every tnetstring starts with one. Pure, no I/O.
/// </summary>
internal static class NetstringLength
{
    // Enough digits for any length up to int.MaxValue; a longer prefix is garbage, not a slow peer.
    public const int MaxDigits = 9;

    /// <summary>
    /// <see cref="OperationStatus.Done"/> with the length and the bytes up to and including the ':';
    /// <see cref="OperationStatus.NeedMoreData"/> before the ':'; <see cref="OperationStatus.InvalidData"/> for a byte
    /// that is not a digit, more than <see cref="MaxDigits"/> digits, or a leading zero where the protocol forbids it.
    /// The reader is a copy: nothing is consumed.
    /// </summary>
    public static OperationStatus TryRead(SequenceReader<byte> reader, bool leadingZeroAllowed, out int length, out int prefixLength)
    {
        length = 0;
        prefixLength = 0;
        int digits = 0;
        while (reader.TryRead(out byte b))
        {
            if (b == (byte)':' && digits > 0)
            {
                prefixLength = digits + 1;
                return OperationStatus.Done;
            }
            if (b is < (byte)'0' or > (byte)'9' || digits == MaxDigits || (!leadingZeroAllowed && digits == 1 && length == 0))
            {
                return OperationStatus.InvalidData;
            }
            length = length * 10 + (b - '0');
            digits++;
        }
        return OperationStatus.NeedMoreData;
    }
}
