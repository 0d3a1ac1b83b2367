using System.Text.RegularExpressions;
using PyHost.Configuration.CommandLine;

namespace PyHost.Configuration.Tests.CommandLine;

/// <summary>docs/configuration.md lists every flag of <c>pyhost serve</c> with what it sets, read from the doc's own table.</summary>
public partial class FlagsDocumentedTests
{
    private static List<(string[] Flags, string Sets)> DocumentedRows()
    {
        string[] lines = File.ReadAllLines(Path.Combine(TestFiles.RepositoryRoot, "docs", "configuration.md"));
        int heading = Array.IndexOf(lines, "### Command-line flags");
        Assert.True(heading >= 0, "docs/configuration.md has no \"### Command-line flags\" section");
        var rows = new List<(string[], string)>();
        foreach (string line in lines.Skip(heading + 1).SkipWhile(line => !line.StartsWith("| flags", StringComparison.Ordinal)).Skip(2).TakeWhile(line => line.StartsWith('|')))
        {
            string[] cells = line.Split(" | ");
            string[] flags = cells[0] == "| APP (argument)" ? ["APP"] : FlagInCode().Matches(cells[0]).Select(match => match.Groups[1].Value).ToArray();
            rows.Add((flags, cells[1]));
        }
        return rows;
    }

    [Fact]
    public void EveryFlagOfServeIsInTheDocsTableAndNoOther()
    {
        var documented = DocumentedRows().SelectMany(row => row.Flags).Order().ToList();
        var known = ServeSettings.All.SelectMany(setting => setting.Flags.Count == 0 ? ["APP"] : setting.Flags).Order().ToList();
        Assert.Equal(known, documented);
    }

    [Fact]
    public void EveryDocumentedFlagSaysWhatItSetsInTheModel()
    {
        foreach (var (flags, sets) in DocumentedRows())
        {
            Assert.False(string.IsNullOrWhiteSpace(sets), $"{string.Join(", ", flags)} says nothing about what it sets");
            ServeSetting setting = flags[0] == "APP" ? ServeSettings.ByName("app") : ServeSettings.ByFlag(flags[0])!;
            Assert.Equal(setting.Effect is null, sets.StartsWith('—') && sets.Contains("steers the command", StringComparison.Ordinal));
        }
    }

    [GeneratedRegex("`(-[^`]+)`")]
    private static partial Regex FlagInCode();
}
