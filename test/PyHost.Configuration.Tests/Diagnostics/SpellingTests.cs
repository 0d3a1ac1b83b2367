using PyHost.Configuration.Diagnostics;

namespace PyHost.Configuration.Tests.Diagnostics;

public class SpellingTests
{
    private static readonly string[] AppKeys = ["module", "workers", "workers_max", "threads", "timeout", "graceful_timeout", "preload"];

    [Theory]
    [InlineData("worker", "workers")]
    [InlineData("wokrers", "workers")]       // a swapped pair is one edit
    [InlineData("Workers", "workers")]       // case does not count
    [InlineData("graceful-timeout", "graceful_timeout")]   // nor '-' for '_'
    [InlineData("thread", "threads")]
    [InlineData("modul", "module")]
    public void SuggestsTheNearestKnownName(string typed, string expected) =>
        Assert.Equal(expected, Spelling.Suggest(typed, AppKeys));

    [Theory]
    [InlineData("colour")]
    [InlineData("x")]
    [InlineData("database_url")]
    public void SuggestsNothingForNamesFarFromAll(string typed) => Assert.Null(Spelling.Suggest(typed, AppKeys));

    [Theory]
    [InlineData("ab", "ba", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("same", "same", 0)]
    public void DistanceCountsInsertionsDeletionsSubstitutionsAndTranspositions(string a, string b, int distance) =>
        Assert.Equal(distance, Spelling.Distance(a, b));
}
