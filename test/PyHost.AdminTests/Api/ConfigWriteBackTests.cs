using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.AdminTests.Api;

/// <summary>
/// <c>?write=1</c> on PUT /config and PATCH /config/PATH: the applied change is also written to the pyhost.toml the
/// server runs from, so it outlives the next reload from the file; without it the change lives until that reload.
/// What is written is the change alone, in place: the rest of the file (comments, blank lines, relative paths,
/// quoting) stays byte for byte. A server with no pyhost.toml, a file edited on disk since the server read it, or a
/// change the file has no place for refuse the write with 409 and apply nothing; a bad change leaves the file as it was.
/// </summary>
public sealed class ConfigWriteBackTests(ITestOutputHelper output)
{
    [Fact]
    public async Task APatchWithWriteIsInTheFileAndOutlivesAReloadWhileOneWithoutIsUndone()
    {
        await using var site = await FileSite.StartAsync(output);
        string original = File.ReadAllText(site.ConfigPath);

        ApiAnswer written = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers?write=1", "2");
        ApiAnswer notWritten = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/max_requests", "500");

        Assert.True(written.Status == 200, written.ToString());
        Assert.True(notWritten.Status == 200, notWritten.ToString());
        string file = File.ReadAllText(site.ConfigPath);
        // Exactly the one line differs, its comment kept; nothing else of the file moved.
        Assert.Equal(original.Replace("workers = 1  # one is enough here", "workers = 2  # one is enough here"), file);
        // A second write edits the file the first one wrote.
        ApiAnswer second = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/timeout?write=1", "\"45s\"");
        Assert.True(second.Status == 200, second.ToString());
        Assert.Equal(file + "timeout = \"45s\"\n", File.ReadAllText(site.ConfigPath));
        // What was written is a valid pyhost.toml.
        await using (TestProcess check = TestProcess.Start(Repository.PyHostExecutable, ["check", site.ConfigPath], site.Directory))
        {
            Assert.True(await check.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, check.Describe());
        }

        // A reload reads the file: the written change stays, the other one is undone.
        ApiAnswer reload = await site.Api.SendAsync(HttpMethod.Post, "/reload", """{"reason": "the test"}""");
        Assert.True(reload.Status == 200, reload.ToString());
        JsonElement app = (await site.Api.GetJsonAsync("/config")).Json.GetProperty("app").GetProperty("main");
        Assert.Equal(2, app.GetProperty("workers").GetInt32());
        Assert.Equal("45s", app.GetProperty("timeout").GetString());
        Assert.NotEqual(500, app.TryGetProperty("max_requests", out JsonElement maxRequests) ? maxRequests.GetInt32() : 0);
        Assert.True(await Until.HoldsAsync(async () =>
            (await site.StatusAsync()).GetProperty("apps")[0].GetProperty("workers").EnumerateArray()
                .Count(w => w.GetProperty("kind").GetString() == "worker" && w.GetProperty("state").GetString() is "idle" or "busy") == 2,
            TimeSpan.FromSeconds(20)), site.Process.Describe());
    }

    [Fact]
    public async Task APutWithWriteWritesWhatItChangedAtTheEndOfItsTable()
    {
        await using var site = await FileSite.StartAsync(output);
        string original = File.ReadAllText(site.ConfigPath);
        string toml = original.Replace("[app.main]", "[app.main]\nmax_requests = 700");

        ApiAnswer put = await site.Api.SendAsync(HttpMethod.Put, "/config?write=1", toml, "application/toml");

        Assert.True(put.Status == 200, put.ToString());
        Assert.Equal(original + "max_requests = 700\n", File.ReadAllText(site.ConfigPath));
        (await site.GetAsync("/")).AssertStatus(200);
    }

    [Fact]
    public async Task AFileEditedSinceTheServerReadItIsNotOverwrittenAndTheChangeIsNotApplied()
    {
        await using var site = await FileSite.StartAsync(output);
        string edited = File.ReadAllText(site.ConfigPath).Replace("workers = 1", "workers = 3");
        File.WriteAllText(site.ConfigPath, edited);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/max_requests?write=1", "500");

        Assert.True(answer.Status == 409, answer.ToString());
        Assert.Contains("changed on disk since the server read it", answer.FirstError.Message);
        Assert.Equal(edited, File.ReadAllText(site.ConfigPath));
        JsonElement app = (await site.Api.GetJsonAsync("/config")).Json.GetProperty("app").GetProperty("main");
        Assert.NotEqual(500, app.TryGetProperty("max_requests", out JsonElement maxRequests) ? maxRequests.GetInt32() : 0);
    }

    [Fact]
    public async Task AChangeTheFileHasNoPlaceForIsRefusedWithTheReasonAndNotApplied()
    {
        await using var site = await FileSite.StartAsync(output);
        byte[] before = File.ReadAllBytes(site.ConfigPath);

        // The site is the one the server made (the file has no [[site]]): there is no table to write the route into.
        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Patch, "/config/site/0/route/0/methods?write=1", """["GET"]""");

        Assert.True(answer.Status == 409, answer.ToString());
        Assert.Contains("site[0] is not written in the file", answer.FirstError.Message);
        Assert.Equal(before, File.ReadAllBytes(site.ConfigPath));
        JsonElement route = (await site.Api.GetJsonAsync("/config")).Json.GetProperty("site")[0].GetProperty("route")[0];
        Assert.False(route.TryGetProperty("methods", out JsonElement methods) && methods.ValueKind == JsonValueKind.Array, route.ToString());
    }

    [Fact]
    public async Task ABadChangeWithWriteLeavesTheFileAsItWas()
    {
        await using var site = await FileSite.StartAsync(output);
        byte[] before = File.ReadAllBytes(site.ConfigPath);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers?write=1", "\"many\"");

        Assert.True(answer.Status == 400, answer.ToString());
        Assert.Equal("app.main.workers", answer.FirstError.Path);
        Assert.Equal(before, File.ReadAllBytes(site.ConfigPath));
    }

    [Fact]
    public async Task AServerRunFromFlagsRefusesTheWriteAndAppliesNothing()
    {
        await using AdminSite site = await AdminSite.StartAsync(output, ["-w", "1"]);

        ApiAnswer answer = await site.Api.SendAsync(HttpMethod.Patch, "/config/app/main/workers?write=1", "2");

        Assert.True(answer.Status == 409, answer.ToString());
        Assert.Contains("needs the server to run from a pyhost.toml file", answer.FirstError.Message);
        Assert.Equal(1, (await site.Api.GetJsonAsync("/config")).Json.GetProperty("app").GetProperty("main").GetProperty("workers").GetInt32());
        Assert.Empty(System.IO.Directory.GetFiles(site.Directory, "*.toml"));
    }

    /// <summary>pyhost serving apps/observed.py from a pyhost.toml in a directory of its own, started with no
    /// arguments at all (it finds ./pyhost.toml), its control socket beside its pid file.</summary>
    private sealed class FileSite : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;

        private FileSite(string directory, int port, TestProcess process, ITestOutputHelper output)
        {
            Directory = directory;
            Port = port;
            Process = process;
            _output = output;
        }

        public string Directory { get; }

        public int Port { get; }

        public TestProcess Process { get; }

        public string ConfigPath => Path.Combine(Directory, "pyhost.toml");

        public AdminApi Api => AdminApi.OverUnixSocket(Path.Combine(Directory, "site.control.sock"));

        /// <summary>A file as a user writes one: comments, blank lines, a relative path, single quotes.</summary>
        private static string Toml(int port, int workers) => $"""
            # The test site. pid_file is relative to this file.
            [server]
            pid_file = 'site.pid'

            [[listen]]
            address = "127.0.0.1:{port}"   # a free port

            [app.main]
            module = "{AdminSite.App}"
            python = "{Repository.Python}"
            workers = {workers}  # one is enough here

            """;

        public static async Task<FileSite> StartAsync(ITestOutputHelper output)
        {
            string directory = System.IO.Directory.CreateTempSubdirectory("pyhost-writeback-").FullName;
            File.Copy(Path.Combine(Repository.AppsDirectory, "observed.py"), Path.Combine(directory, "observed.py"));
            int port = PyHostServer.FreePort(System.Net.IPAddress.Loopback);
            File.WriteAllText(Path.Combine(directory, "pyhost.toml"), Toml(port, workers: 1));
            var site = new FileSite(directory, port, TestProcess.Start(Repository.PyHostExecutable, ["serve"], directory), output);
            try
            {
                await site.Process.WaitForOutputAsync(new Regex("Control socket: "), TestProcess.StartTimeout);
                return site;
            }
            catch
            {
                await site.DisposeAsync();
                throw;
            }
        }

        public async Task<JsonElement> StatusAsync() => (await Api.GetJsonAsync("/status")).Json;

        public async Task<RawHttpResponse> GetAsync(string target)
        {
            await using RawHttpConnection connection = await RawHttpConnection.OpenAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, Port));
            await connection.SendAsync($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{Port}\r\nConnection: close\r\n\r\n");
            return await connection.ReadResponseAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Process.DisposeAsync();
            _output.WriteLine(Process.Describe());
            _output.WriteLine("pyhost.toml at the end:\n" + (File.Exists(ConfigPath) ? File.ReadAllText(ConfigPath) : "(none)"));
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
