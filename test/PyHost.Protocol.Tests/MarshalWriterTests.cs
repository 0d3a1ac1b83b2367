using System.Buffers;
using System.Text;
using PyHost.Protocol.Tests.Infrastructure;

namespace PyHost.Protocol.Tests;

public class MarshalWriterTests
{
    [Fact]
    public void ASmallDictIsByteForByteWhatCPythonWrites()
    {
        // CPython 3.11: marshal.dumps({sys.intern("REQUEST_METHOD"): "GET", sys.intern("PATH_INFO"): "/café"}) is
        //   fb da 0e REQUEST_METHOD 7a 03 GET da 09 PATH_INFO 75 06 00 00 00 2f 63 61 66 c3 a9 30
        // where fb and da are '{' and 'Z' with FLAG_REF (0x80) set. That flag only lets a later TYPE_REF point back at
        // the object; the writer never repeats one, so it writes the same codes without it.
        byte[] expected =
        [
            (byte)'{',
            (byte)'Z', 14, .. "REQUEST_METHOD"u8,
            (byte)'z', 3, .. "GET"u8,
            (byte)'Z', 9, .. "PATH_INFO"u8,
            (byte)'u', 6, 0, 0, 0, (byte)'/', (byte)'c', (byte)'a', (byte)'f', 0xC3, 0xA9,
            (byte)'0',
        ];

        var output = new ArrayBufferWriter<byte>();
        MarshalWriter.WriteDictStart(output);
        MarshalWriter.WriteKey(output, "REQUEST_METHOD"u8);
        MarshalWriter.WriteString(output, "GET");
        MarshalWriter.WriteEncodedKey(output, MarshalWriter.EncodeKey("PATH_INFO"));
        MarshalWriter.WriteLatin1(output, [(byte)'/', (byte)'c', (byte)'a', (byte)'f', 0xE9]);
        MarshalWriter.WriteDictEnd(output);

        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(0, "7A00")]
    [InlineData(1, "7A01")]
    [InlineData(255, "7AFF")]
    [InlineData(256, "6100010000")]
    [InlineData(1000, "61E8030000")]
    public void WriteStringOfAsciiUsesTheShortFormUpTo255Characters(int length, string expectedPrefix)
    {
        string value = new('x', length);

        byte[] written = Written(output => MarshalWriter.WriteString(output, value));

        Assert.Equal([.. Convert.FromHexString(expectedPrefix), .. Encoding.ASCII.GetBytes(value)], written);
    }

    [Theory]
    [InlineData(0, "7A00")]
    [InlineData(1, "7A01")]
    [InlineData(255, "7AFF")]
    [InlineData(256, "6100010000")]
    [InlineData(1000, "61E8030000")]
    public void WriteLatin1OfAsciiUsesTheShortFormUpTo255Bytes(int length, string expectedPrefix)
    {
        byte[] value = Enumerable.Range(0, length).Select(i => (byte)(i % 128)).ToArray();

        byte[] written = Written(output => MarshalWriter.WriteLatin1(output, value));

        Assert.Equal([.. Convert.FromHexString(expectedPrefix), .. value], written);
    }

    [Fact]
    public void WriteLatin1EncodesEachHighByteAsItsTwoByteUtf8CodePoint()
    {
        byte[] written = Written(output => MarshalWriter.WriteLatin1(output, [0x41, 0x80, 0xE9, 0xFF, 0x00]));

        Assert.Equal(Convert.FromHexString("75" + "08000000" + "41" + "C280" + "C3A9" + "C3BF" + "00"), written);
    }

    [Fact]
    public void WriteLatin1OfManyHighBytesGivesTheUtf8LengthLittleEndian()
    {
        byte[] written = Written(output => MarshalWriter.WriteLatin1(output, Enumerable.Repeat((byte)0xFF, 300).ToArray()));

        Assert.Equal(Convert.FromHexString("7558020000"), written[..5]);   // 600 bytes of UTF-8
        Assert.Equal(5 + 600, written.Length);
        Assert.True(written.AsSpan(5).ToArray().Chunk(2).All(pair => pair is [0xC3, 0xBF]));
    }

    [Fact]
    public void WriteStringOfNonAsciiUsesTheUtf8Form()
    {
        byte[] written = Written(output => MarshalWriter.WriteString(output, "A\u00E9\u00FF"));

        Assert.Equal(Convert.FromHexString("75" + "05000000" + "41" + "C3A9" + "C3BF"), written);
    }

    [Theory]
    [InlineData(0, "5A00")]
    [InlineData(14, "5A0E")]
    [InlineData(255, "5AFF")]
    [InlineData(256, "4100010000")]
    [InlineData(300, "412C010000")]
    public void WriteKeyUsesTheInternedShortFormUpTo255Bytes(int length, string expectedPrefix)
    {
        byte[] key = Enumerable.Repeat((byte)'K', length).ToArray();

        byte[] written = Written(output => MarshalWriter.WriteKey(output, key));

        Assert.Equal([.. Convert.FromHexString(expectedPrefix), .. key], written);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(255)]
    [InlineData(256)]
    public void EncodeKeyThenWriteEncodedKeyWritesWhatWriteKeyWrites(int length)
    {
        string key = new('k', length);

        byte[] encoded = Written(output => MarshalWriter.WriteEncodedKey(output, MarshalWriter.EncodeKey(key)));

        Assert.Equal(Written(output => MarshalWriter.WriteKey(output, Encoding.ASCII.GetBytes(key))), encoded);
    }

    [Fact]
    public void ADictIsOpenedWithABraceAndClosedWithTheNullCode()
    {
        byte[] written = Written(output =>
        {
            MarshalWriter.WriteDictStart(output);
            MarshalWriter.WriteDictEnd(output);
        });

        Assert.Equal("{0"u8.ToArray(), written);
    }

    [Fact]
    public void CPythonLoadsEveryFormTheWriterProducesAsTheSameStrings()
    {
        string highLatin1 = new(Enumerable.Range(0x80, 0x80).Select(c => (char)c).ToArray());
        string longKey = new('K', 300);
        string longestShortKey = new('S', 255);
        var expected = new List<KeyValuePair<string, string>>
        {
            new("EMPTY_STRING", ""),
            new("EMPTY_LATIN1", ""),
            new("ASCII", "GET /index.html?q=1"),
            new("ASCII_255", new string('a', 255)),
            new("ASCII_256", new string('b', 256)),
            new("LATIN1_ASCII_255", new string('c', 255)),
            new("LATIN1_ASCII_256", new string('d', 256)),
            new("LATIN1_HIGH", highLatin1),
            new("LATIN1_HIGH_LONG", string.Concat(Enumerable.Repeat(highLatin1, 3))),
            new("STRING_HIGH", "caf\u00E9 \u00FF\u0080"),
            new("NUL_INSIDE", "/a\0b"),
            new(longKey, "long key"),
            new(longestShortKey, "longest short key"),
        };

        var output = new ArrayBufferWriter<byte>();
        MarshalWriter.WriteDictStart(output);
        foreach ((string key, string value) in expected)
        {
            // Keys alternate between the two ways of writing them; values go through both writers by name.
            if (key.Length % 2 == 0)
            {
                MarshalWriter.WriteKey(output, Encoding.ASCII.GetBytes(key));
            }
            else
            {
                MarshalWriter.WriteEncodedKey(output, MarshalWriter.EncodeKey(key));
            }
            if (key.StartsWith("LATIN1", StringComparison.Ordinal) || key == "EMPTY_LATIN1")
            {
                MarshalWriter.WriteLatin1(output, Encoding.Latin1.GetBytes(value));
            }
            else
            {
                MarshalWriter.WriteString(output, value);
            }
        }
        MarshalWriter.WriteDictEnd(output);

        List<KeyValuePair<string, string>> loaded = PythonMarshal.LoadDict(output.WrittenSpan.ToArray());

        Assert.Equal(expected, loaded);
    }

    [Fact]
    public void WriteLatin1OfEveryByteValueLoadsInCPythonAsCodePointsZeroTo255InOrder()
    {
        byte[] everyByte = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var output = new ArrayBufferWriter<byte>();
        MarshalWriter.WriteDictStart(output);
        MarshalWriter.WriteKey(output, "PATH_INFO"u8);
        MarshalWriter.WriteLatin1(output, everyByte);
        MarshalWriter.WriteDictEnd(output);

        var (key, value) = Assert.Single(PythonMarshal.LoadDict(output.WrittenSpan.ToArray()));

        Assert.Equal("PATH_INFO", key);
        Assert.Equal(Enumerable.Range(0, 256), value.Select(c => (int)c));
    }

    [Fact]
    public void CPythonLoadsAnAsgiScopeWithItsTypedValues()
    {
        var output = new ArrayBufferWriter<byte>();
        MarshalWriter.WriteDictStart(output);
        MarshalWriter.WriteKey(output, "path"u8);
        MarshalWriter.WriteString(output, "/caf\u00E9/\u20AC");
        MarshalWriter.WriteKey(output, "raw_path"u8);
        MarshalWriter.WriteBytes(output, [(byte)'/', 0x00, 0xFF]);
        MarshalWriter.WriteKey(output, "headers"u8);
        MarshalWriter.WriteListStart(output, 2);
        MarshalWriter.WriteTupleStart(output, 2);
        MarshalWriter.WriteLowerCaseBytes(output, "X-Forwarded-For");
        MarshalWriter.WriteLatin1Bytes(output, "1.2.3.4");
        MarshalWriter.WriteTupleStart(output, 2);
        MarshalWriter.WriteLowerCaseBytes(output, "Cookie");
        MarshalWriter.WriteLatin1Bytes(output, "a=\u00E9\u00FF");
        MarshalWriter.WriteKey(output, "client"u8);
        MarshalWriter.WriteTupleStart(output, 2);
        MarshalWriter.WriteString(output, "::1");
        MarshalWriter.WriteInt(output, 65535);
        MarshalWriter.WriteKey(output, "server"u8);
        MarshalWriter.WriteTupleStart(output, 2);
        MarshalWriter.WriteString(output, "/run/site.sock");
        MarshalWriter.WriteNone(output);
        MarshalWriter.WriteKey(output, "flags"u8);
        MarshalWriter.WriteListStart(output, 3);
        MarshalWriter.WriteBool(output, true);
        MarshalWriter.WriteBool(output, false);
        MarshalWriter.WriteInt(output, -1);
        MarshalWriter.WriteDictEnd(output);

        Assert.Equal(
            "{'path': '/caf\\xe9/\\u20ac', 'raw_path': b'/\\x00\\xff', "
            + "'headers': [(b'x-forwarded-for', b'1.2.3.4'), (b'cookie', b'a=\\xe9\\xff')], "
            + "'client': ('::1', 65535), 'server': ('/run/site.sock', None), 'flags': [True, False, -1]}",
            PythonMarshal.LoadRepr(output.WrittenSpan.ToArray()));
    }

    [Fact]
    public void WriteIntIsTheTypeCodeThenFourBytesLittleEndian()
    {
        Assert.Equal(Convert.FromHexString("69" + "50C30000"), Written(output => MarshalWriter.WriteInt(output, 50000)));
        Assert.Equal(Convert.FromHexString("73" + "03000000" + "616263"), Written(output => MarshalWriter.WriteBytes(output, "abc"u8)));
        Assert.Equal(Convert.FromHexString("29" + "02"), Written(output => MarshalWriter.WriteTupleStart(output, 2)));
        Assert.Equal(Convert.FromHexString("5B" + "00010000"), Written(output => MarshalWriter.WriteListStart(output, 256)));
    }

    private static byte[] Written(Action<ArrayBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }
}
