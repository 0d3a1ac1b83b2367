using PyHost.Configuration.CommandLine;
using PyHost.Configuration.Diagnostics;
using PyHost.Configuration.Toml;

namespace PyHost.Configuration.Tests.CommandLine;

public class ArgumentParserTests
{
    private static (ParsedArguments Parsed, DiagnosticBag Diagnostics) Parse(params string[] arguments)
    {
        var diagnostics = new DiagnosticBag();
        return (ArgumentParser.Parse(arguments, flag => new FlagOrigin(flag), diagnostics), diagnostics);
    }

    [Theory]
    [InlineData("--workers 4")]
    [InlineData("--workers=4")]
    [InlineData("-w 4")]
    [InlineData("-w4")]
    public void ValuesComeInEveryGnuForm(string arguments)
    {
        var (parsed, diagnostics) = Parse(arguments.Split(' '));
        Assert.Empty(diagnostics.Items);
        Assert.Equal("4", parsed.Value("workers"));
    }

    [Fact]
    public void RepeatedFlagsCollectTheirValuesInOrderAndTheLastSingleValueWins()
    {
        var (parsed, _) = Parse("-b", "a:1", "-w", "2", "-b", "b:2", "-w", "3");
        var bind = (TomlArray)parsed.Given("bind")!.Value;
        Assert.Equal(["a:1", "b:2"], bind.Items.Select(item => ((TomlScalar)item).Value));
        Assert.Equal("3", parsed.Value("workers"));
    }

    [Fact]
    public void TheFirstPositionalArgumentIsTheAppAndASecondIsAnError()
    {
        var (parsed, diagnostics) = Parse("hello:app", "--preload", "other:app");
        Assert.Equal("hello:app", parsed.Value("app"));
        Assert.Equal(new FlagOrigin("APP"), parsed.Given("app")!.Origin);
        Assert.Contains("unexpected argument 'other:app'", Assert.Single(diagnostics.Items).Message);
    }

    [Fact]
    public void DoubleDashEndsTheFlags()
    {
        var (parsed, diagnostics) = Parse("--", "-weird:app");
        Assert.Empty(diagnostics.Items);
        Assert.Equal("-weird:app", parsed.Value("app"));
    }

    [Fact]
    public void AnUnknownFlagIsAnErrorWithTheNearestFlag()
    {
        var (_, diagnostics) = Parse("--wokers", "3");
        ConfigDiagnostic error = Assert.Single(diagnostics.Items);
        Assert.Equal("flag --wokers: error: unknown flag --wokers\n  hint: did you mean --workers?", error.ToString());
    }

    [Fact]
    public void AGunicornFlagPyHostLacksIsAWarningAndItsValueIsSkipped()
    {
        var (parsed, diagnostics) = Parse("--worker-tmp-dir", "/dev/shm", "hello:app", "--daemon");
        Assert.Equal("hello:app", parsed.Value("app"));
        Assert.All(diagnostics.Items, item => Assert.Equal(DiagnosticSeverity.Warning, item.Severity));
        Assert.Equal(2, diagnostics.Items.Count);
        Assert.Contains("gunicorn's --worker-tmp-dir is not supported by PyHost, ignored", diagnostics.Items[0].Message);
        Assert.Contains("run it under systemd", diagnostics.Items[1].Message);
    }

    [Theory]
    [InlineData(new[] { "--proxy-protocol" }, "auto", null)]
    [InlineData(new[] { "--proxy-protocol", "v2" }, "v2", null)]
    [InlineData(new[] { "--proxy-protocol=v1" }, "v1", null)]
    [InlineData(new[] { "--proxy-protocol", "hello:app" }, "auto", "hello:app")]
    public void AnOptionalValueIsTakenOnlyWhenItIsOneOfItsValues(string[] arguments, string protocol, string? app)
    {
        var (parsed, diagnostics) = Parse(arguments);
        Assert.Empty(diagnostics.Items);
        Assert.Equal(protocol, parsed.Value("proxy_protocol"));
        Assert.Equal(app, parsed.Value("app"));
    }

    [Fact]
    public void AFlagWithoutItsValueIsAnError()
    {
        var (_, diagnostics) = Parse("--timeout");
        Assert.Contains("--timeout needs a value", Assert.Single(diagnostics.Items).Message);
    }

    [Fact]
    public void ASwitchTakesNoValue()
    {
        var (_, diagnostics) = Parse("--preload=yes");
        Assert.Contains("--preload takes no value", Assert.Single(diagnostics.Items).Message);
    }
}
