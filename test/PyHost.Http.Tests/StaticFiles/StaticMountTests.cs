using PyHost.Http.StaticFiles;

namespace PyHost.Http.Tests.StaticFiles;

public sealed class StaticMountTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("pyhost-mount-");

    [Theory]
    [InlineData("/static/", "/static")]
    [InlineData("/static", "/static")]
    [InlineData("static", "/static")]
    [InlineData("/static/admin/", "/static/admin")]
    [InlineData("/", "")]
    public void TryParseReadsThePrefixAndResolvesTheDirectory(string prefix, string expected)
    {
        Assert.True(StaticMount.TryParse($"{prefix}={directory.FullName}", out StaticMount? mount, out string? error), error);

        Assert.Equal(expected, mount.UrlPrefix);
        Assert.Equal(directory.FullName, mount.Directory);
    }

    [Fact]
    public void TryParseResolvesALinkedDirectoryToItsRealPath()
    {
        string link = Path.Combine(directory.FullName, "link");
        Directory.CreateDirectory(Path.Combine(directory.FullName, "real"));
        Directory.CreateSymbolicLink(link, "real");

        Assert.True(StaticMount.TryParse($"/static={link}", out StaticMount? mount, out string? error), error);

        Assert.Equal(Path.Combine(directory.FullName, "real"), mount.Directory);
    }

    [Theory]
    [InlineData("/static", "expected URL_PREFIX=DIR")]
    [InlineData("/static=", "expected URL_PREFIX=DIR")]
    [InlineData("/static=/no/such/directory", "no such directory")]
    [InlineData("/st%61tic=.", "plain path")]
    [InlineData("/static/../x=.", "plain path")]
    [InlineData("/a b=.", "plain path")]
    [InlineData("/a?b=.", "plain path")]
    [InlineData("//static=.", "plain path")]
    public void TryParseRefusesWithAReason(string text, string reason)
    {
        Assert.False(StaticMount.TryParse(text, out _, out string? error));

        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("/static", "/static", "")]
    [InlineData("/static", "/static/", "/")]
    [InlineData("/static", "/static/a/b.css", "/a/b.css")]
    [InlineData("/static", "/staticfile.css", null)]
    [InlineData("/static", "/Static/a.css", null)]
    [InlineData("/static", "/other", null)]
    [InlineData("", "/anything", "/anything")]
    public void PathBelowIsTheRestOfAPathUnderThePrefix(string prefix, string rawPath, string? expected)
    {
        Assert.True(StaticMount.TryParse($"{prefix}={directory.FullName}", out StaticMount? mount, out _));

        Assert.Equal(expected, mount.PathBelow(rawPath));
    }

    public void Dispose() => directory.Delete(recursive: true);
}
