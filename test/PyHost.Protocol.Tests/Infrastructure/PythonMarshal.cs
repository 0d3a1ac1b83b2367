using System.Diagnostics;
using System.Text.Json;

namespace PyHost.Protocol.Tests.Infrastructure;

/// <summary>Loads bytes with the real CPython <c>marshal</c> module, to check the hand-written encoder against it.</summary>
internal static class PythonMarshal
{
    private const string Python = "/usr/bin/python3";

    // Prints the loaded object as ASCII-only JSON, so no console encoding can alter a code point on the way back.
    private const string Script = """
        import json, marshal, sys
        with open(sys.argv[1], "rb") as f:
            value = marshal.load(f)
            trailing = len(f.read())
        items = [[k, v] for k, v in value.items()] if type(value) is dict else None
        all_str = items is not None and all(type(k) is str and type(v) is str for k, v in items)
        print(json.dumps({"type": type(value).__name__, "trailing": trailing, "all_str": all_str, "items": items}, ensure_ascii=True))
        """;

    /// <summary>The dict's items in the order marshal.load built them.</summary>
    public static List<KeyValuePair<string, string>> LoadDict(byte[] marshalled)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, marshalled);
            JsonElement result = JsonDocument.Parse(Run(file)).RootElement;
            Assert.Equal("dict", result.GetProperty("type").GetString());
            Assert.Equal(0, result.GetProperty("trailing").GetInt32());
            Assert.True(result.GetProperty("all_str").GetBoolean(), "every key and value loads as a str");
            return result.GetProperty("items").EnumerateArray()
                .Select(pair => new KeyValuePair<string, string>(pair[0].GetString()!, pair[1].GetString()!))
                .ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>What CPython makes of the bytes, as <c>ascii(value)</c>: for typed values (bytes, tuples, ints, None).</summary>
    public static string LoadRepr(byte[] marshalled)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, marshalled);
            return Run(file, ReprScript).TrimEnd('\n');
        }
        finally
        {
            File.Delete(file);
        }
    }

    private const string ReprScript = """
        import marshal, sys
        with open(sys.argv[1], "rb") as f:
            value = marshal.load(f)
            assert not f.read(), "trailing bytes"
        print(ascii(value))
        """;

    private static string Run(string file, string script = Script)
    {
        Assert.True(File.Exists(Python), $"{Python} is needed to check marshal output against CPython");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-I");   // isolated: no user site, no PYTHON* variables
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(file);
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 could not load the bytes: {stderr.Result}");
        return stdout;
    }
}
