using PyHost.Http.Observability;

namespace PyHost.Http.Tests.Observability;

public class LogEscapingTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("esc\u001b[31m", "esc\\x1b[31m")]
    [InlineData("bell\u0007", "bell\\x07")]
    [InlineData("cr\rlf\ntab\t", "cr\\rlf\\ntab\\t")]
    [InlineData("del\u007f c1\u009b", "del\\x7f c1\\x9b")]
    [InlineData("say \"hi\" \\o/", "say \\\"hi\\\" \\\\o/")]
    [InlineData("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c")]
    public void AccessLogFieldsEscapeControlsQuotesAndBackslashes(string value, string expected) =>
        Assert.Equal(expected, LogEscaping.Escape(value));

    [Theory]
    [InlineData("Traceback:\n  File \"x\"\n\tindented", "Traceback:\n  File \"x\"\n\tindented")]
    [InlineData("GET /\u001b]0;pwned\u0007", "GET /\\x1b]0;pwned\\x07")]
    [InlineData("a\rb", "a\\rb")]
    public void ErrorLogMessagesKeepTheirLinesButLoseTheirControls(string message, string expected) =>
        Assert.Equal(expected, LogEscaping.EscapeControls(message));

    [Fact]
    public void TextWithNothingToEscapeIsReturnedAsItIs()
    {
        const string text = "GET /index.html";
        Assert.Same(text, LogEscaping.Escape(text));
        Assert.Same(text, LogEscaping.EscapeControls(text));
    }
}
