using PyHost.Configuration.CommandLine;

namespace PyHost.Configuration.Tests.CommandLine;

public class ShellWordsTests
{
    [Theory]
    [InlineData("--workers 3 --timeout 20", new[] { "--workers", "3", "--timeout", "20" })]
    [InlineData("  -b 0.0.0.0:80   -b unix:/run/a.sock ", new[] { "-b", "0.0.0.0:80", "-b", "unix:/run/a.sock" })]
    [InlineData("-e 'GREETING=hello world'", new[] { "-e", "GREETING=hello world" })]
    [InlineData("-e \"QUOTE=say \\\"hi\\\"\"", new[] { "-e", "QUOTE=say \"hi\"" })]
    [InlineData("-e A=one\\ two", new[] { "-e", "A=one two" })]
    [InlineData("--name=''", new[] { "--name=" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    [InlineData("", new string[0])]
    public void SplitsAsAPosixShellDoes(string text, string[] words)
    {
        Assert.True(ShellWords.TrySplit(text, out List<string> split, out string? error), error);
        Assert.Equal(words, split);
    }

    [Theory]
    [InlineData("-e 'open", "' quote is not closed")]
    [InlineData("-e \"open", "\" quote is not closed")]
    public void AnUnclosedQuoteIsAnError(string text, string message)
    {
        Assert.False(ShellWords.TrySplit(text, out _, out string? error));
        Assert.Contains(message, error);
    }
}
