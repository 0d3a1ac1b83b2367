using System.Buffers;
using System.Text;
using PyHost.Gateways.Mongrel2;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests.Mongrel2;

public class TNetstringTests
{
    public static TheoryData<string, string> Vectors => new()
    {
        // tnetstrings.org examples and their meaning, written back by ToString.
        { "12:hello world!,", "'hello world!'" },
        { "0:,", "''" },
        { "2:42#", "42" },
        { "3:-17#", "-17" },
        { "4:true!", "true" },
        { "5:false!", "false" },
        { "0:~", "null" },
        { "0:]", "[]" },
        { "0:}", "{}" },
        { "16:5:hello,5:12345#]", "['hello', 12345]" },
        { "34:5:hello,22:11:12345678901#4:this,]}", "{'hello': [12345678901, 'this']}" },
        { "8:2:\u00FF\u0000,0:~}", "{'\u00FF\u0000': null}" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryReadReadsEachTypeAndWriteWritesTheSameBytes(string text, string expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);

        TNetstring value = Read(new ReadOnlySequence<byte>(bytes));
        var output = new ArrayBufferWriter<byte>();
        TNetstringWriter.Write(output, value);

        Assert.Equal(expected, value.ToString());
        Assert.Equal(bytes, output.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void EveryPrefixNeedsMoreAndEverySplitReadsTheSame(string text, string expected)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(text);

        for (int length = 0; length < bytes.Length; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            Assert.Equal(OperationStatus.NeedMoreData, TNetstringReader.TryRead(ref reader, TNetstringLimits.Default, out _, out _));
            Assert.Equal(0, reader.Consumed);
        }
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(expected, Read(Sequences.Split(bytes, cut)).ToString());
        }
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "x:", "starts with its size" },
        { ":", "starts with its size" },
        { "1234567890:", "starts with its size" },
        { "99999:", "over the limit of 100" },
        { "3:abc?", "unknown tnetstring type '?'" },
        { "3:1.5^", "floats ('^') are not part of what Mongrel2 sends" },
        { "2:4x#", "'4x' is not a decimal number" },
        { "20:99999999999999999999#", "is not a decimal number that fits 64 bits" },
        { "0:#", "'' is not a decimal number" },
        { "3:yes!", "'yes' is neither true nor false" },
        { "1:x~", "its size must be 0" },
        { "5:3:abc]", "runs past the end of its container" },
        { "4:1:a,}", "key 'a' has no value" },
        { "8:1:1#1:a,}", "key is a Integer, not a string" },
        { "12:1:a,1:b,1:c,]", "more than 2 items" },
        { "24:1:a,1:b,1:c,1:d,1:e,1:f,}", "more than 2 entries" },
        { "12:9:6:3:0:]]]]]", "nested more than 4 deep" },
        { "4:x:,]]", "starts with its size" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedTNetstringsAreRefusedSayingWhy(string text, string expectedError)
    {
        var limits = new TNetstringLimits { MaxBytes = 100, MaxItems = 2, MaxDepth = 4 };
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)));

        OperationStatus status = TNetstringReader.TryRead(ref reader, limits, out TNetstring? value, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(value);
        Assert.Contains(expectedError, error);
        Assert.Equal(0, reader.Consumed);
    }

    private static TNetstring Read(ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        OperationStatus status = TNetstringReader.TryRead(ref reader, TNetstringLimits.Default, out TNetstring? value, out string? error);
        Assert.True(status == OperationStatus.Done, error);
        Assert.True(reader.End);
        return value!;
    }
}
