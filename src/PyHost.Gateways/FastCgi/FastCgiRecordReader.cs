using System.Buffers;

namespace PyHost.Gateways.FastCgi;

/// <summary>Reads whole FastCGI records out of a byte sequence, padding included; never touches a socket.</summary>
public static class FastCgiRecordReader
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/> with the header and the content (a slice of the reader's sequence, valid
    /// until the caller lets go of those bytes), the reader past the padding; <see cref="OperationStatus.NeedMoreData"/>
    /// with nothing consumed; <see cref="OperationStatus.InvalidData"/> for a version other than 1.
    /// </summary>
    public static OperationStatus TryRead(
        ref SequenceReader<byte> reader, out FastCgiRecordHeader header, out ReadOnlySequence<byte> content, out string? error)
    {
        content = default;
        error = null;
        Span<byte> headerBytes = stackalloc byte[FastCgiRecordHeader.Size];
        if (!reader.TryCopyTo(headerBytes))
        {
            header = default;
            return OperationStatus.NeedMoreData;
        }
        header = FastCgiRecordHeader.Read(headerBytes);
        if (header.Version != FastCgiProtocol.Version)
        {
            error = $"FastCGI record of version {header.Version}: only version 1 exists";
            return OperationStatus.InvalidData;
        }
        if (reader.Remaining < header.TotalLength)
        {
            return OperationStatus.NeedMoreData;
        }
        content = reader.UnreadSequence.Slice(FastCgiRecordHeader.Size, header.ContentLength);
        reader.Advance(header.TotalLength);
        return OperationStatus.Done;
    }
}
