using System.IO.Compression;
using PyHost.IntegrationTests.Infrastructure;
using PyHost.IntegrationTests.Supervision;
using Xunit;

namespace PyHost.IntegrationTests.Packaging;

/// <summary>
/// `make deb`: the package installs into this machine with dpkg, serves from /usr/bin/pyhost, and is purged again, so
/// the machine is left as it was found. It refuses to run where a pyhost package or /usr/bin/pyhost already exists.
/// </summary>
public sealed class DebianPackageTests : IDisposable
{
    private const string InstalledBinary = "/usr/bin/pyhost";

    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("pyhost-deb-");

    [RootFact("dpkg -i installs into the system")]
    public async Task PackageInstallsServesFromUsrBinAndPurgesCleanly()
    {
        Assert.False(await IsInstalledAsync(), "A pyhost package is already installed here; this test will not replace it.");
        Assert.False(File.Exists(InstalledBinary), $"{InstalledBinary} already exists; this test will not overwrite it.");
        var version = await Packager.VersionAsync();
        await Packager.RunAsync(Path.Combine(Packager.ScriptsDirectory, "deb.sh"), [Repository.PyHostExecutable, work.FullName]);
        var package = Path.Combine(work.FullName, $"pyhost_{version}_amd64.deb");
        Assert.True(File.Exists(package), $"deb.sh wrote no {package}");

        try
        {
            await Packager.RunAsync("dpkg", ["-i", package]);
            Assert.True(await IsInstalledAsync(), "dpkg -i left pyhost not installed");
            Assert.Equal(version, (await Packager.RunAsync(InstalledBinary, ["--version"])).Trim());
            await AssertShipsEverythingAsync();

            var site = Packager.WriteApp(Path.Combine(work.FullName, "site"), "served from the package");
            var port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
            await using (var server = TestProcess.Start(InstalledBinary, ["serve", "app:app", "-b", $"127.0.0.1:{port}", "--python", Repository.Python], site))
            {
                await server.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);
                var response = await Packager.GetAsync(port);
                response.AssertStatus(200);
                Assert.Equal("served from the package", response.BodyText);
            }

            await Packager.RunAsync("dpkg", ["--purge", "pyhost"]);
            Assert.False(await IsInstalledAsync(), "dpkg --purge left pyhost installed");
            Assert.False(File.Exists(InstalledBinary), $"dpkg --purge left {InstalledBinary}");
        }
        finally
        {
            if (await IsKnownToDpkgAsync())   // also half-installed, or config-files left: purge leaves no trace
            {
                await Packager.RunAsync("dpkg", ["--purge", "pyhost"]);
            }
        }
    }

    public void Dispose() => work.Delete(recursive: true);

    /// <summary>The man page, the Debian documents, and every file under deploy/ where packaging/deb.sh's rule puts it.</summary>
    private static async Task AssertShipsEverythingAsync()
    {
        var files = (await Packager.RunAsync("dpkg", ["-L", "pyhost"])).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        string[] expected = ["/usr/bin/pyhost", "/usr/share/man/man1/pyhost.1.gz", "/usr/share/doc/pyhost/copyright",
                             "/usr/share/doc/pyhost/changelog.gz", .. DeployedFiles()];
        foreach (var path in expected)
        {
            Assert.True(files.Contains(path), $"the package lacks {path}; it has:\n{string.Join('\n', files.Order())}");
            Assert.True(File.Exists(path), $"{path} is listed but not installed");
        }
        using var manPage = new StreamReader(new GZipStream(File.OpenRead("/usr/share/man/man1/pyhost.1.gz"), CompressionMode.Decompress));
        var roff = manPage.ReadToEnd();
        Assert.StartsWith(".TH PYHOST 1", roff);
        Assert.Contains("\\-\\-bind", roff);   // the serve options come from `pyhost serve --help`
    }

    private static IEnumerable<string> DeployedFiles()
    {
        var deploy = Path.Combine(Repository.Root, "deploy");
        if (!Directory.Exists(deploy))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(deploy, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(deploy, file);
            var name = Path.GetFileName(file);
            var isUnit = relative.StartsWith("systemd/", StringComparison.Ordinal)
                && Path.GetExtension(name) is ".service" or ".socket" or ".timer" or ".path" or ".target";
            yield return isUnit ? $"/lib/systemd/system/{name}"
                : relative.StartsWith("logrotate/", StringComparison.Ordinal) ? $"/etc/logrotate.d/{name}"
                : $"/usr/share/doc/pyhost/examples/{relative}";
        }
    }

    private static async Task<bool> IsInstalledAsync() => (await StatusAsync()).EndsWith(" installed", StringComparison.Ordinal);

    private static async Task<bool> IsKnownToDpkgAsync() => await StatusAsync() is { Length: > 0 } status && !status.EndsWith("not-installed", StringComparison.Ordinal);

    /// <summary>dpkg's "want ok state" for pyhost ("install ok installed"), or "" when dpkg never heard of it.</summary>
    private static async Task<string> StatusAsync()
    {
        await using var query = TestProcess.Start("dpkg-query", ["-W", "-f=${Status}", "pyhost"], Repository.Root);
        return await query.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0 ? query.Output.Trim() : "";
    }
}
