using System.Buffers;
using PyHost.Gateways.FastCgi;

namespace PyHost.Gateways.Tests.FastCgi;

public class FastCgiRecordWriterTests
{
    [Theory]
    [InlineData(0, new int[0])]
    [InlineData(1, new[] { 1 })]
    [InlineData(65528, new[] { 65528 })]
    [InlineData(65529, new[] { 65528, 1 })]
    [InlineData(200_000, new[] { 65528, 65528, 65528, 3416 })]
    public void StdoutIsSplitIntoRecordsOfAtMost65528BytesEachPaddedToEight(int length, int[] expectedContentLengths)
    {
        byte[] data = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        var output = new ArrayBufferWriter<byte>();

        FastCgiRecordWriter.WriteStdout(output, 5, new ReadOnlySequence<byte>(data));

        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(output.WrittenMemory));
        var contentLengths = new List<int>();
        var received = new List<byte>();
        while (FastCgiRecordReader.TryRead(ref reader, out FastCgiRecordHeader header, out ReadOnlySequence<byte> content, out _) == OperationStatus.Done)
        {
            Assert.Equal(FastCgiRecordType.Stdout, header.Type);
            Assert.Equal(5, header.RequestId);
            Assert.Equal(0, header.TotalLength % 8);
            contentLengths.Add(header.ContentLength);
            received.AddRange(content.ToArray());
        }
        Assert.True(reader.End);
        Assert.Equal(expectedContentLengths, contentLengths);
        Assert.Equal(data, received);
    }

    [Fact]
    public void AMultiSegmentSequenceIsWrittenAsTheSameRecords()
    {
        byte[] data = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();
        var whole = new ArrayBufferWriter<byte>();
        var split = new ArrayBufferWriter<byte>();

        FastCgiRecordWriter.WriteStdout(whole, 1, data.AsSpan());
        FastCgiRecordWriter.WriteStdout(split, 1, Infrastructure.Sequences.Split(data, 12_345));

        Assert.Equal(whole.WrittenSpan.ToArray(), split.WrittenSpan.ToArray());
    }

    [Fact]
    public void AShortRecordIsPaddedWithZeros()
    {
        var output = new ArrayBufferWriter<byte>();

        FastCgiRecordWriter.WriteStderr(output, 0x0102, "oops"u8);
        FastCgiRecordWriter.WriteEndOfStream(output, FastCgiRecordType.Stderr, 0x0102);

        Assert.Equal("0107010200040400" + "6F6F707300000000" + "0107010200000000", Convert.ToHexString(output.WrittenSpan));
    }

    [Fact]
    public void ARecordOverTheSixteenBitLimitIsRefused()
    {
        Assert.Throws<ArgumentException>(() => FastCgiRecordWriter.WriteRecord(new ArrayBufferWriter<byte>(), FastCgiRecordType.Stdout, 1, new byte[65536]));
    }

    [Theory]
    [InlineData(0, 0, "0000")]
    [InlineData(127, 1, "7F01")]
    [InlineData(128, 127, "800000807F")]
    [InlineData(70_000, 0, "8001117000")]
    public void NameValueLengthsUseOneByteUnder128AndFourBytesAbove(int nameLength, int valueLength, string expectedLengths)
    {
        byte[] name = Enumerable.Repeat((byte)'N', nameLength).ToArray();
        byte[] value = Enumerable.Repeat((byte)'v', valueLength).ToArray();
        var output = new ArrayBufferWriter<byte>();

        FastCgiNameValuePairs.Write(output, name, value);

        Assert.StartsWith(expectedLengths, Convert.ToHexString(output.WrittenSpan[..(expectedLengths.Length / 2)]));
        Assert.Equal(FastCgiNameValuePairs.EncodedLength(nameLength, valueLength), output.WrittenCount);
        if (nameLength > 0)
        {
            var limits = new GatewayLimits { MaxVariablesBytes = 100_000 };
            Assert.True(FastCgiNameValuePairs.TryParse(output.WrittenSpan.ToArray(), limits, out CgiVariables? pairs, out _));
            Assert.Equal(name, pairs!.NameAt(0).ToArray());
            Assert.Equal(value, pairs.ValueAt(0).ToArray());
        }
    }
}
