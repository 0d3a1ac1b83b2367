using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Json;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml;
using PyHost.Configuration.Toml.Editing;
using PyHost.Configuration.Validation;

namespace PyHost.Configuration.Tests.Toml;

/// <summary>
/// A change made through the admin API written back into the user's pyhost.toml: the change is found by comparing the
/// configuration before and after it (<see cref="ConfigDiff"/>) and written in place (<see cref="TomlFileEditor"/>), so
/// the file differs in exactly the lines of the change — comments, blank lines, order, quoting and relative paths stay.
/// </summary>
public sealed class TomlFileEditorTests
{
    private const string BaseDirectory = "/srv/sites";

    private const string File = """
        #:schema ../../docs/pyhost.schema.json
        # Two apps on their own names. Relative paths are relative to this file.

        [server]
        graceful_timeout = '30s'   # single quotes, kept

        [[listen]]
        address = "127.0.0.1:8000"

        # The notes app, and its static files from the front.
        [[site]]
        name = "notes"
        hosts = ["notes.localhost"]

          [[site.route]]
          path = "/static"
          static = "../django/notes/static"

          [[site.route]]
          path = "/"
          app = "notes"

        [[site]]
        name = "gallery"
        hosts = ["gallery.localhost"]
        limits = { max_body_size = "1M" }

          [[site.route]]
          app = "gallery"

        [app.notes]
        module = "mysite.wsgi:application"
        chdir = "../django"
        env = { DJANGO_SETTINGS_MODULE = "mysite.settings" }
        workers = 2   # two is plenty

        [app.gallery]
        module = "app:app"
        chdir = "../flask"
        workers = 2
        max_requests = 1000

        """;

    [Fact]
    public void AChangedValueIsThatLineAloneWithItsComment()
    {
        string edited = Edited(File, "app.notes.workers", "4");

        Assert.Equal(File.Replace("workers = 2   # two is plenty", "workers = 4   # two is plenty"), edited);
    }

    [Fact]
    public void AValueInAnArrayOfTablesIsFoundByItsPosition()
    {
        string edited = Edited(File, "site.0.route.1.path", "\"/notes\"");

        Assert.Equal(File.Replace("  path = \"/\"\n", "  path = \"/notes\"\n"), edited);
    }

    [Fact]
    public void AValueInAnInlineTableIsReplacedInsideIt()
    {
        string edited = Edited(File, "site.1.limits.max_body_size", "\"2M\"");

        // The new value as `config --print` writes it.
        Assert.Equal(File.Replace("limits = { max_body_size = \"1M\" }", "limits = { max_body_size = \"2MiB\" }"), edited);
    }

    [Fact]
    public void AChangedPathTheFileWroteRelativeStaysRelative()
    {
        string edited = Edited(File, "app.gallery.chdir", "\"/srv/gallery\"");

        Assert.Equal(File.Replace("chdir = \"../flask\"", "chdir = \"../gallery\""), edited);
    }

    [Fact]
    public void ANewKeyGoesAtTheEndOfItsTableWithItsIndentation()
    {
        string edited = Edited(File, "site.0.route.1.methods", "[\"GET\"]");

        Assert.Equal(File.Replace("  app = \"notes\"\n", "  app = \"notes\"\n  methods = [\"GET\"]\n"), edited);
    }

    [Fact]
    public void ANewKeyOfATableTheFileLacksGetsThatTableAtTheEnd()
    {
        string edited = Edited(File, "log.access_log", "\"-\"");

        Assert.Equal(File + "\n[log]\naccess_log = \"-\"\n", edited);
    }

    [Fact]
    public void ARemovedKeyLosesItsLineAndNothingElse()
    {
        PyHostConfig before = Load(File);
        PyHostConfig after = before with { Apps = before.Apps.Select(app => app.Name == "gallery" ? app with { Chdir = null } : app).ToList() };

        string edited = Apply(File, before, after);

        Assert.Equal(File.Replace("chdir = \"../flask\"\n", ""), edited);
    }

    [Fact]
    public void ANewSiteGoesAfterTheLastSiteAndItsRoutes()
    {
        string edited = Edited(File, "site.2", """{"name": "docs", "hosts": ["docs.localhost"], "route": [{"path": "/", "app": "notes"}]}""");

        string site = """

            [[site]]
            name = "docs"
            hosts = ["docs.localhost"]

            [[site.route]]
            app = "notes"

            """;
        Assert.Equal(File.Replace("  [[site.route]]\n  app = \"gallery\"\n", "  [[site.route]]\n  app = \"gallery\"\n" + site), edited);
        Assert.Equal(3, Load(edited).Sites.Count);
    }

    [Fact]
    public void ANewAppIsItsOwnTableAfterTheOtherApps()
    {
        string edited = Edited(File, "app.blog", """{"module": "blog:app", "workers": 1}""");

        Assert.Equal(File + "\n[app.blog]\nmodule = \"blog:app\"\nworkers = 1\n", edited);
        Assert.Equal("blog:app", Load(edited).App("blog")!.Module);
    }

    [Fact]
    public void ARemovedAppLosesItsTableAndTheCommentAboveIt()
    {
        string file = File.Replace("[app.gallery]", "# The gallery.\n[app.gallery]");
        PyHostConfig before = Load(file);
        PyHostConfig after = before with { Apps = before.Apps.Where(app => app.Name != "gallery").ToList() };

        string edited = Apply(file, before, after);

        Assert.Equal(File[..File.IndexOf("\n[app.gallery]", StringComparison.Ordinal)] + "\n", edited);
    }

    [Fact]
    public void AnUnchangedConfigurationWritesNothing()
    {
        PyHostConfig before = Load(File);
        PyHostConfig after = JsonConfigForm.Read(JsonConfigForm.Write(before), "test", BaseDirectory, new DiagnosticBag())!;

        Assert.Empty(ConfigDiff.Between(before, after));
    }

    [Fact]
    public void AChangeToADefaultTheFileDoesNotHaveIsRefusedWithTheReason()
    {
        const string file = "[app.main]\nmodule = \"app:app\"\n";
        PyHostConfig before = Load(file);
        PyHostConfig after = Patch(before, "listen.0.backlog", "512");

        bool written = TomlFileEditor.TryApply(file, ConfigDiff.Between(before, after), BaseDirectory, out _, out string? error);

        Assert.False(written);
        Assert.Contains("listen[0] is not written in the file", error);
    }

    [Fact]
    public void AFileThatIsNotTomlIsRefused()
    {
        bool written = TomlFileEditor.TryApply("[app.main\n", [new SetKey([new PathStep("app"), new PathStep("main"), new PathStep("workers")], "2")], BaseDirectory, out _, out string? error);

        Assert.False(written);
        Assert.Contains("not valid TOML (line 1", error);
    }

    private static string Edited(string file, string keyPath, string json)
    {
        PyHostConfig before = Load(file);
        return Apply(file, before, Patch(before, keyPath, json));
    }

    private static string Apply(string file, PyHostConfig before, PyHostConfig after)
    {
        IReadOnlyList<ConfigEdit> edits = ConfigDiff.Between(before, after);
        Assert.True(TomlFileEditor.TryApply(file, edits, BaseDirectory, out string? edited, out string? error), error);
        return edited;
    }

    private static PyHostConfig Load(string file)
    {
        var diagnostics = new DiagnosticBag();
        PyHostConfig? config = TomlConfigReader.Read(file, "pyhost.toml", BaseDirectory, diagnostics);
        Assert.True(config is not null, string.Join("\n", diagnostics.Items));
        return Complete(config);
    }

    /// <summary>What the admin API's PATCH /config/PATH does: the JSON form with one value replaced, read back (and
    /// compared before completion, so what the server fills in — inherited timeouts, a worker count — is not pinned).</summary>
    private static PyHostConfig Patch(PyHostConfig before, string keyPath, string json)
    {
        var diagnostics = new DiagnosticBag();
        string? patched = JsonConfigForm.Patch(JsonConfigForm.Write(before), keyPath, json, "test", diagnostics);
        PyHostConfig? after = patched is null ? null : JsonConfigForm.Read(patched, "test", BaseDirectory, diagnostics);
        Assert.True(after is not null, string.Join("\n", diagnostics.Items));
        return after;
    }

    private static PyHostConfig Complete(PyHostConfig config)
    {
        var diagnostics = new DiagnosticBag();
        PyHostConfig complete = ConfigCompletion.Complete(config, ConfigEnvironment.From(new Dictionary<string, string>(), BaseDirectory, 2), diagnostics);
        Assert.False(diagnostics.HasErrors, string.Join("\n", diagnostics.Items));
        return complete;
    }
}
