using System.Buffers.Binary;
using System.Text;

namespace PyHost.Gateways.Tests.Infrastructure;

/// <summary>
/// Reads back the marshal dict an environ is written as (the type codes of docs/protocol.md), so a test can look at
/// what the worker would load. MarshalDictTests checks it against CPython's marshal.loads.
/// </summary>
internal static class MarshalDict
{
    public static List<KeyValuePair<string, string>> Load(ReadOnlySpan<byte> bytes)
    {
        Assert.Equal((byte)'{', bytes[0]);
        var items = new List<KeyValuePair<string, string>>();
        int position = 1;
        while (bytes[position] != (byte)'0')
        {
            string key = ReadString(bytes, ref position);
            string value = ReadString(bytes, ref position);
            items.Add(new(key, value));
        }
        Assert.Equal(bytes.Length, position + 1);
        return items;
    }

    public static Dictionary<string, string> LoadDictionary(ReadOnlySpan<byte> bytes)
    {
        var dictionary = new Dictionary<string, string>();
        foreach (var (key, value) in Load(bytes))
        {
            Assert.True(dictionary.TryAdd(key, value), $"the environ has the key {key} twice");
        }
        return dictionary;
    }

    private static string ReadString(ReadOnlySpan<byte> bytes, ref int position)
    {
        byte type = bytes[position++];
        int length;
        if (type is (byte)'Z' or (byte)'z')
        {
            length = bytes[position++];
        }
        else
        {
            Assert.True(type is (byte)'A' or (byte)'a' or (byte)'u', $"unexpected marshal type '{(char)type}'");
            length = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
            position += 4;
        }
        string text = type == (byte)'u' ? Encoding.UTF8.GetString(bytes.Slice(position, length)) : Encoding.ASCII.GetString(bytes.Slice(position, length));
        position += length;
        return text;
    }
}
