using PyHost.Configuration.Diagnostics;

namespace PyHost.Configuration.Tests.Validation;

public class ConfigValidatorTests
{
    private static ConfigLoadResult LoadToml(string text)
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", text);
        return load.Load();
    }

    private static string Errors(string text) => string.Join("\n", LoadToml(text).Errors);

    [Fact]
    public void ARouteNamingAnUnknownAppIsAnErrorWithASuggestion()
    {
        string errors = Errors("[app.shops]\nmodule = \"shop:app\"\n\n[[site]]\n[[site.route]]\napp = \"shop\"\n");
        Assert.Contains("pyhost.toml:6:1: error: site[0].route[0].app: route names app 'shop', which is not defined\n  hint: did you mean 'shops'?", errors);
    }

    [Fact]
    public void TwoSitesWithTheSameHostIsAnError()
    {
        string errors = Errors("""
            [app.main]
            module = "a:b"
            [[site]]
            hosts = ["example.com"]
            [[site.route]]
            app = "main"
            [[site]]
            hosts = ["www.example.com", "EXAMPLE.com"]
            [[site.route]]
            app = "main"
            """);
        Assert.Contains("pyhost.toml:8:1: error: site[1].hosts[1]: 'example.com' is already a host of site[0] (example.com)", errors);
    }

    [Fact]
    public void TwoDefaultSitesIsAnError() =>
        Assert.Contains("two default sites: site[0] and site[1]",
            Errors("[app.main]\nmodule = \"a:b\"\n[[site]]\n[[site.route]]\napp = \"main\"\n[[site]]\ndefault = true\nhosts = [\"x.example\"]\n[[site.route]]\napp = \"main\"\n"));

    [Fact]
    public void TheSameAddressTwiceIsAnError() =>
        Assert.Contains("pyhost.toml:4:1: error: listen[1].address: '0.0.0.0:8000' is the same address as listen[0] (':8000')",
            Errors("[[listen]]\naddress = \":8000\"\n[[listen]]\naddress = \"0.0.0.0:8000\"\n"));

    [Fact]
    public void AnAppNoRouteUsesIsAWarningNotAnError()
    {
        ConfigLoadResult result = LoadToml("[app.main]\nmodule = \"a:b\"\n[app.spare]\nmodule = \"c:d\"\n[[site]]\n[[site.route]]\napp = \"main\"\n");
        Assert.True(result.Succeeded);
        ConfigDiagnostic warning = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal("pyhost.toml:3:1: warning: app.spare: no route uses app 'spare': it would start workers that get no requests\n  hint: add a route with app = \"spare\", or remove [app.spare]", warning.ToString());
    }

    [Fact]
    public void SeveralAppsNeedSites() =>
        Assert.Contains("there are 2 apps and no [[site]]", Errors("[app.a]\nmodule = \"a:b\"\n[app.b]\nmodule = \"c:d\"\n"));

    [Fact]
    public void TlsSettingsMustFitTogether()
    {
        Assert.Contains("tls = \"files\" but no certificate is given", Errors("[[listen]]\naddress = \":443\"\ntls = \"files\"\n"));
        Assert.Contains("has a certificate but no listener serves TLS", Errors("[app.m]\nmodule = \"a:b\"\n[[site]]\nhosts = [\"a.example\"]\ntls = \"auto\"\n[[site.route]]\napp = \"m\"\n"));
        Assert.Contains("wildcards need the DNS-01 challenge",
            Errors("[[listen]]\naddress = \":443\"\ntls = \"auto\"\n[app.m]\nmodule = \"a:b\"\n[[site]]\nhosts = [\"*.example.com\"]\ntls = \"auto\"\n[[site.route]]\napp = \"m\"\n"));
    }

    [Fact]
    public void AnAppTakesModuleOrPasteNotBoth() =>
        Assert.Contains("pyhost.toml:3:1: error: app.main.paste: give either module (pyhost.toml:2:1) or paste (pyhost.toml:3:1), not both",
            Errors("[app.main]\nmodule = \"a:b\"\npaste = \"x.ini\"\n"));

    [Fact]
    public void WorkersMaxBelowWorkersIsAnErrorSayingWhereWorkersCameFrom()
    {
        Assert.Contains("pyhost.toml:3:1: error: app.main.workers_max: workers_max (2) is less than workers (4, from pyhost.toml:2:1)",
            Errors("[app.main]\nworkers = 4\nworkers_max = 2\n"));
        using var load = new LoadHelper { ProcessorCount = 8 };
        load.Files.Write("pyhost.toml", "[app.main]\nworkers_max = 4\n");
        Assert.Contains("workers_max (4) is less than workers (8, from default (the number of CPU cores))", string.Join("\n", load.Load().Errors));
    }

    [Fact]
    public void ASiteWithoutRoutesIsAnError() =>
        Assert.Contains("site 'example.com' has no routes", Errors("[[site]]\nhosts = [\"example.com\"]\n"));

    [Fact]
    public void ErrorsOfEveryKindAreReportedTogether()
    {
        ConfigLoadResult result = LoadToml("""
            [[listen]]
            address = ":8000"
            [[listen]]
            address = "0.0.0.0:8000"
            [app.main]
            module = "a:b"
            [[site]]
            hosts = ["a.example", "a.example"]
            [[site.route]]
            app = "mian"
            """);
        Assert.Equal(3, result.Errors.Count());
    }
}
