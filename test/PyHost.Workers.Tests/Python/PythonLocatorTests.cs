using PyHost.Workers.Python;

namespace PyHost.Workers.Tests.Python;

/// <summary>
/// Every case runs in a fresh temporary directory with fake interpreters (empty executable files) and an injected
/// environment, so neither the machine's Python nor its real PATH or VIRTUAL_ENV can change the outcome.
/// </summary>
public sealed class PythonLocatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pyhost-locator-").FullName;
    private readonly string _appDirectory;
    private readonly Dictionary<string, string> _environment = new();

    public PythonLocatorTests() => _appDirectory = Directory.CreateDirectory(Path.Combine(_root, "app")).FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void AnExplicitPathThatExistsIsUsed()
    {
        string python = FakeExecutable("custom/bin/python3.12");

        PythonChoice choice = Locate(python);

        Assert.Equal(new PythonChoice(python, "from --python"), choice);
    }

    [Fact]
    public void AnExplicitPathWinsOverVirtualEnvDotVenvAndPath()
    {
        string python = FakeExecutable("custom/python");
        _environment["VIRTUAL_ENV"] = Path.GetDirectoryName(Path.GetDirectoryName(FakeExecutable("venv/bin/python")))!;
        FakeExecutable("app/.venv/bin/python");
        _environment["PATH"] = Path.GetDirectoryName(FakeExecutable("path/python3"))!;

        Assert.Equal(python, Locate(python).Path);
    }

    [Fact]
    public void AnExplicitRelativePathIsMadeAbsolute()
    {
        string python = FakeExecutable("custom/python");
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, python);
        Assert.Contains('/', relative);

        Assert.Equal(python, Locate(relative).Path);
    }

    [Fact]
    public void AnExplicitPathThatDoesNotExistFailsNamingThePath()
    {
        string missing = Path.Combine(_root, "nowhere", "python3");

        var error = Assert.Throws<FileNotFoundException>(() => Locate(missing));

        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void AnExplicitBareNameIsLookedUpOnTheInjectedPath()
    {
        string first = Path.GetDirectoryName(FakeExecutable("first/python3.11"))!;
        string second = Path.GetDirectoryName(FakeExecutable("second/python3.11"))!;
        _environment["PATH"] = $"{Path.Combine(_root, "missing")}::{first}:{second}";

        PythonChoice choice = Locate("python3.11");

        Assert.Equal(new PythonChoice(Path.Combine(first, "python3.11"), "from --python"), choice);
    }

    [Fact]
    public void AnExplicitBareNameNotOnThePathFailsNamingIt()
    {
        _environment["PATH"] = Path.GetDirectoryName(FakeExecutable("bin/python3"))!;

        var error = Assert.Throws<FileNotFoundException>(() => Locate("python3.99"));

        Assert.Contains("python3.99", error.Message);
    }

    [Fact]
    public void TheActiveVirtualEnvIsChosenFirstWithoutAnExplicitPath()
    {
        string python = FakeExecutable("venv/bin/python");
        _environment["VIRTUAL_ENV"] = Path.Combine(_root, "venv");
        FakeExecutable("app/.venv/bin/python");
        _environment["PATH"] = Path.GetDirectoryName(FakeExecutable("path/python3"))!;

        PythonChoice choice = Locate(null);

        Assert.Equal(new PythonChoice(python, "from $VIRTUAL_ENV"), choice);
    }

    [Fact]
    public void AVirtualEnvWithoutAnInterpreterIsPassedOver()
    {
        Directory.CreateDirectory(Path.Combine(_root, "broken-venv", "bin"));
        _environment["VIRTUAL_ENV"] = Path.Combine(_root, "broken-venv");
        string dotVenv = FakeExecutable("app/.venv/bin/python");

        Assert.Equal(new PythonChoice(dotVenv, "from ./.venv"), Locate(null));
    }

    [Fact]
    public void TheAppDirectorysDotVenvIsChosenWhenNoVirtualEnvIsActive()
    {
        string dotVenv = FakeExecutable("app/.venv/bin/python");
        _environment["PATH"] = Path.GetDirectoryName(FakeExecutable("path/python3"))!;

        PythonChoice choice = Locate(null);

        Assert.Equal(new PythonChoice(dotVenv, "from ./.venv"), choice);
    }

    [Fact]
    public void AnEmptyVirtualEnvVariableCountsAsNoVirtualEnv()
    {
        _environment["VIRTUAL_ENV"] = "";
        string dotVenv = FakeExecutable("app/.venv/bin/python");

        Assert.Equal(new PythonChoice(dotVenv, "from ./.venv"), Locate(null));
    }

    [Fact]
    public void Python3OnThePathIsTheFallback()
    {
        string first = Path.GetDirectoryName(FakeExecutable("first/python3"))!;
        string second = Path.GetDirectoryName(FakeExecutable("second/python3"))!;
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        _environment["PATH"] = $"{Path.Combine(_root, "empty")}:{first}:{second}";

        PythonChoice choice = Locate(null);

        Assert.Equal(new PythonChoice(Path.Combine(first, "python3"), "python3 on PATH"), choice);
    }

    [Fact]
    public void ADirectoryNamedPython3IsNotAnInterpreter()
    {
        Directory.CreateDirectory(Path.Combine(_root, "decoy", "python3"));
        string real = Path.GetDirectoryName(FakeExecutable("real/python3"))!;
        _environment["PATH"] = $"{Path.Combine(_root, "decoy")}:{real}";

        Assert.Equal(Path.Combine(real, "python3"), Locate(null).Path);
    }

    [Fact]
    public void FindingNoPythonAtAllFailsTellingTheUserWhatToDo()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        _environment["PATH"] = Path.Combine(_root, "empty");

        var error = Assert.Throws<FileNotFoundException>(() => Locate(null));

        Assert.Contains("no Python found", error.Message);
        Assert.Contains("--python", error.Message);
        Assert.Contains("virtualenv", error.Message);
        Assert.Contains("python3 on PATH", error.Message);
    }

    [Fact]
    public void NoPathVariableAtAllIsNotAnError()
    {
        Assert.Throws<FileNotFoundException>(() => Locate(null));   // nothing found, but no crash on a null PATH

        string dotVenv = FakeExecutable("app/.venv/bin/python");
        Assert.Equal(dotVenv, Locate(null).Path);
    }

    [Fact]
    public void AFileWithoutAnExecuteBitOnPathIsSkippedAsTheShellWould()
    {
        string notExecutable = Path.Combine(_root, "first", "python3");
        Directory.CreateDirectory(Path.GetDirectoryName(notExecutable)!);
        File.WriteAllText(notExecutable, "not a program");
        File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string real = FakeExecutable("second/python3");
        _environment["PATH"] = $"{Path.GetDirectoryName(notExecutable)}:{Path.GetDirectoryName(real)}";

        Assert.Equal(real, Locate(null).Path);
    }

    private PythonChoice Locate(string? explicitPython)
        => PythonLocator.Locate(explicitPython, _appDirectory, name => _environment.GetValueOrDefault(name));

    /// <summary>An empty file with the execute bit, at a path relative to the temporary root.</summary>
    private string FakeExecutable(string relativePath)
    {
        string path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
