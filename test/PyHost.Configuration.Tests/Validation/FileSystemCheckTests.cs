namespace PyHost.Configuration.Tests.Validation;

public class FileSystemCheckTests
{
    [Fact]
    public void MissingFilesAndDirectoriesAreErrorsAtTheirKeys()
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", """
            [log]
            access_log = "nowhere/access.log"

            [[listen]]
            address = "0.0.0.0:443"
            tls = "files"
            certificate = "certs/site.pem"
            key = "certs/site.key"

            [[site]]
              [[site.route]]
              path = "/static"
              static = "staticfiles"
              [[site.route]]
              app = "main"

            [app.main]
            module = "a:b"
            chdir = "site"
            python = "venv/bin/python"
            """);
        CommandOutput output = ConfigCommands.Check(load.Request());
        Assert.Equal(ConfigCommands.Invalid, output.ExitStatus);
        string directory = load.Files.Directory;
        Assert.Equal($"""
            pyhost.toml:7:1: error: listen[0].certificate: cannot read {directory}/certs/site.pem: no such file
            pyhost.toml:8:1: error: listen[0].key: cannot read {directory}/certs/site.key: no such file
            pyhost.toml:13:3: error: site[0].route[0].static: no such directory: {directory}/staticfiles
              hint: create it (e.g. manage.py collectstatic), or fix the path: it is relative to the config file
            pyhost.toml:19:1: error: app.main.chdir: no such directory: {directory}/site
            pyhost.toml:20:1: error: app.main.python: no such interpreter: {directory}/venv/bin/python
              hint: give the path of a python executable, e.g. .venv/bin/python
            pyhost.toml:2:1: error: log.access_log: the directory of the access log does not exist: {directory}/nowhere
              hint: create it first; PyHost does not create directories for you

            """, output.StandardError);
        Assert.Equal("pyhost.toml: 6 errors\n", output.StandardOutput);
    }

    [Fact]
    public void WhenEverythingExistsTheCheckPasses()
    {
        using var load = new LoadHelper();
        load.Files.MakeDirectory("staticfiles");
        load.Files.MakeDirectory("site");
        load.Files.Write("pyhost.toml", "[[site]]\n[[site.route]]\npath = \"/static\"\nstatic = \"staticfiles\"\n[[site.route]]\napp = \"main\"\n[app.main]\nmodule = \"a:b\"\nchdir = \"site\"\n");
        CommandOutput output = ConfigCommands.Check(load.Request());
        Assert.Equal("", output.StandardError);
        Assert.Equal("pyhost.toml: OK: 1 app (main), 1 site, 1 listener (127.0.0.1:8000)\n", output.StandardOutput);
        Assert.Equal(ConfigCommands.Valid, output.ExitStatus);
    }
}
