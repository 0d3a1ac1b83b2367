using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Packaging;

/// <summary>`make dist`: the wheel that pip installs into a virtualenv, putting the native pyhost on its PATH.</summary>
public sealed class WheelTests : IDisposable
{
    private readonly DirectoryInfo work = Directory.CreateTempSubdirectory("pyhost-wheel-");

    [Fact]
    public async Task WheelInstalledByPipIntoAVirtualenvServesAnAppWithoutDotNet()
    {
        var wheel = await BuildWheelAsync();
        var venv = Path.Combine(work.FullName, "venv");
        await Packager.RunAsync("/usr/bin/python3", ["-m", "venv", venv]);
        var pip = await Packager.RunAsync(Path.Combine(venv, "bin", "python"),
            ["-m", "pip", "install", "--no-index", "--disable-pip-version-check", wheel]);
        Assert.Contains("Successfully installed pyhost", pip);
        var installed = Path.Combine(venv, "bin", "pyhost");
        Assert.True(File.Exists(installed), $"pip put no pyhost in {venv}/bin.\n{pip}");
        Assert.True(File.GetUnixFileMode(installed).HasFlag(UnixFileMode.UserExecute), $"{installed} is not executable");

        // As a user runs it: the virtualenv activated (VIRTUAL_ENV, its bin first on PATH), on a machine with no .NET.
        var site = Packager.WriteApp(Path.Combine(work.FullName, "site"), "served from the wheel");
        var environment = NoDotNetSandbox.Environment($"{venv}/bin:/usr/local/bin:/usr/bin:/bin");
        environment["VIRTUAL_ENV"] = venv;
        var port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
        await using var server = TestProcess.Start(NoDotNetSandbox.FileName,
            NoDotNetSandbox.Arguments("pyhost", ["serve", "app:app", "-b", $"127.0.0.1:{port}"]), site, environment);
        await server.WaitForOutputAsync(TestProcess.ListeningOn($"http://127.0.0.1:{port}"), TestProcess.StartTimeout);

        var response = await Packager.GetAsync(port);

        response.AssertStatus(200);
        Assert.Equal("served from the wheel", response.BodyText);
        Assert.Contains($"Using Python {venv}/bin/python", server.Output);
    }

    [Fact]
    public async Task WheelIsNamedForTheBinaryAndItsRecordHashesEveryFile()
    {
        var wheel = await BuildWheelAsync();

        var name = Regex.Match(Path.GetFileName(wheel), @"^pyhost-(?<version>[^-]+)-py3-none-manylinux_(?<glibc>\d+_\d+)_x86_64\.whl$");
        Assert.True(name.Success, $"unexpected wheel name {Path.GetFileName(wheel)}");
        Assert.Equal(await Packager.VersionAsync(), name.Groups["version"].Value);
        // PEP 600: manylinux_X_Y promises the binary runs on glibc X.Y; it must need no newer symbol version.
        var needed = (await Packager.RunAsync("objdump", ["-p", Repository.PyHostExecutable]))
            .Split('\n').SelectMany(line => Regex.Matches(line, @"\bGLIBC_(\d+)\.(\d+)\b"))
            .Select(m => new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))).Max();
        Assert.Equal($"{needed!.Major}_{needed.Minor}", name.Groups["glibc"].Value);

        using var archive = ZipFile.OpenRead(wheel);
        var version = name.Groups["version"].Value;
        var record = archive.GetEntry($"pyhost-{version}.dist-info/RECORD") ?? throw new InvalidDataException("no RECORD");
        var lines = new StreamReader(record.Open()).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var listed = new HashSet<string>();
        foreach (var line in lines)
        {
            var fields = line.Split(',');
            listed.Add(fields[0]);
            if (fields[0] == record.FullName)
            {
                continue;   // RECORD cannot hash itself
            }
            var entry = archive.GetEntry(fields[0]) ?? throw new InvalidDataException($"RECORD lists {fields[0]}, not in the wheel");
            using var content = new MemoryStream();
            entry.Open().CopyTo(content);
            var digest = Convert.ToBase64String(SHA256.HashData(content.ToArray())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            Assert.Equal($"sha256={digest}", fields[1]);
            Assert.Equal(content.Length.ToString(), fields[2]);
        }
        Assert.Equal(archive.Entries.Select(e => e.FullName).Order(), listed.Order());
        Assert.Equal(File.ReadAllBytes(Repository.PyHostExecutable).Length,
                     archive.GetEntry($"pyhost-{version}.data/scripts/pyhost")!.Length);
    }

    public void Dispose() => work.Delete(recursive: true);

    private async Task<string> BuildWheelAsync()
    {
        var dist = Path.Combine(work.FullName, "dist");
        await Packager.RunAsync("/usr/bin/python3", [Path.Combine(Packager.ScriptsDirectory, "wheel.py"), Repository.PyHostExecutable, dist]);
        return Directory.GetFiles(dist, "*.whl").Single();
    }
}
