namespace PyHost.Configuration.Tests;

public class ConfigCommandsTests
{
    [Fact]
    public void CheckOfANamedFileReportsWarningsAndSucceeds()
    {
        using var load = new LoadHelper();
        load.Files.Write("sites/pyhost.toml", "[app.main]\nmodule = \"a:b\"\n[app.spare]\nmodule = \"c:d\"\n[[site]]\n[[site.route]]\napp = \"main\"\n");
        CommandOutput output = ConfigCommands.Check(load.Request() with { ConfigFile = "sites/pyhost.toml" });
        Assert.Equal(ConfigCommands.Valid, output.ExitStatus);
        Assert.Equal("sites/pyhost.toml: OK (1 warning): 2 apps (main, spare), 1 site, 1 listener (127.0.0.1:8000)\n", output.StandardOutput);
        Assert.StartsWith("sites/pyhost.toml:3:1: warning: app.spare: no route uses app 'spare'", output.StandardError);
    }

    [Fact]
    public void CheckWithoutAFileChecksTheCommandLine()
    {
        using var load = new LoadHelper();
        CommandOutput output = ConfigCommands.Check(load.Request("hello:app", "-w", "3", "-b", "127.0.0.1:9000", "-b", "[::1]:9000"));
        Assert.Equal("the command line: OK: 1 app (main), 1 site, 2 listeners (127.0.0.1:9000, [::1]:9000)\n", output.StandardOutput);
        Assert.Equal(0, output.ExitStatus);
    }

    [Fact]
    public void CheckListsEveryErrorAndCountsThem()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.main]\nworker = 2\ntimeout = \"x\"\n");
        CommandOutput output = ConfigCommands.Check(load.Request());
        Assert.Equal(ConfigCommands.Invalid, output.ExitStatus);
        Assert.Equal("pyhost.toml: 2 errors\n", output.StandardOutput);
        Assert.Equal(2, output.StandardError.Split('\n').Count(line => line.Contains(": error: ", StringComparison.Ordinal)));
    }
}
