using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Gateways;

/// <summary>The README's "Keep your nginx, Apache or lighttpd" shows the configuration the interop tests give the
/// real servers (<see cref="GatewaySnippets"/>), rendered with the README's example addresses: it cannot drift.</summary>
public sealed class ReadmeSnippetTests
{
    public static TheoryData<string> Examples => new(GatewaySnippets.ReadmeExamples().Select(example => example.Title));

    [Theory]
    [MemberData(nameof(Examples))]
    public void TheReadmeShowsTheSnippetTheTestsUse(string title)
    {
        var (_, language, text) = GatewaySnippets.ReadmeExamples().Single(example => example.Title == title);
        string block = $"```{language}\n{text}```\n";
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));

        Assert.True(readme.Contains($"{title}:\n\n{block}", StringComparison.Ordinal),
            $"README.md should show, under \"Keep your nginx, Apache or lighttpd\":\n\n{title}:\n\n{block}");
    }
}
