using System.Text;
using PyHost.Workers.Supervision;

namespace PyHost.Workers.Tests.Supervision;

/// <summary>The app's output cut into log lines: the same lines whatever pieces the pipe delivers them in, and no
/// line longer than the limit however long the app's line is.</summary>
public sealed class OutputLineSplitterTests
{
    public static TheoryData<string> Outputs => new()
    {
        "one line\n",
        "two\nlines\n",
        "no newline at the end",
        "crlf line\r\nand another\r\n",
        "\n\nempty lines\n\n",
        "unicode: é ü 日本 🎉\n",
        "",
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void EverySplitOfTheInputGivesTheSameLines(string output)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(output);
        List<string> whole = Split([bytes]);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            Assert.Equal(whole, Split([bytes[..cut], bytes[cut..]]));
        }
        Assert.Equal(ExpectedLines(output), whole);
    }

    [Fact]
    public void ByteByByteGivesTheSameLines()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("first\nsecond é\r\nthird");
        Assert.Equal(["first", "second é", "third"], Split(bytes.Select(b => new[] { b }).ToList()));
    }

    [Fact]
    public void ALineLongerThanTheLimitIsCutIntoPiecesOfTheLimit()
    {
        int length = OutputLineSplitter.MaxLineBytes * 3 + 10;
        byte[] bytes = Encoding.ASCII.GetBytes(new string('x', length) + "\nnext\n");

        List<string> lines = Split(Chunks(bytes, 4096));

        Assert.Equal([OutputLineSplitter.MaxLineBytes, OutputLineSplitter.MaxLineBytes, OutputLineSplitter.MaxLineBytes, 10, 4],
            lines.Select(line => line.Length).ToArray());
        Assert.Equal("next", lines[^1]);
    }

    [Fact]
    public void ACutNeverSplitsACharacter()
    {
        // Three-byte characters do not divide the limit evenly: each cut must fall between two of them.
        string text = string.Concat(Enumerable.Repeat("日", OutputLineSplitter.MaxLineBytes));
        List<string> lines = Split(Chunks(Encoding.UTF8.GetBytes(text + "\n"), 1000));

        Assert.All(lines, line => Assert.DoesNotContain('\uFFFD', line));
        Assert.All(lines, line => Assert.True(Encoding.UTF8.GetByteCount(line) <= OutputLineSplitter.MaxLineBytes));
        Assert.Equal(text, string.Concat(lines));
    }

    [Fact]
    public void InvalidUtf8BecomesReplacementCharacters()
    {
        Assert.Equal(["a\uFFFDb"], Split([[(byte)'a', 0xff, (byte)'b', (byte)'\n']]));
    }

    private static List<string> Split(IReadOnlyList<byte[]> pieces)
    {
        var splitter = new OutputLineSplitter();
        var lines = new List<string>();
        foreach (byte[] piece in pieces)
        {
            splitter.Feed(piece, lines);
        }
        splitter.Finish(lines);
        return lines;
    }

    private static List<byte[]> Chunks(byte[] bytes, int size) =>
        Enumerable.Range(0, (bytes.Length + size - 1) / size).Select(i => bytes[(i * size)..Math.Min(bytes.Length, (i + 1) * size)]).ToList();

    private static List<string> ExpectedLines(string output)
    {
        List<string> lines = output.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        if (output.EndsWith('\n') || output.Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }
        return lines;
    }
}
