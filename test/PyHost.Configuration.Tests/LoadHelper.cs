namespace PyHost.Configuration.Tests;

/// <summary>Loads a configuration from files and arguments in a temporary directory, as <c>pyhost serve</c> would.</summary>
internal sealed class LoadHelper : IDisposable
{
    public TestFiles Files { get; } = new();

    public Dictionary<string, string> Variables { get; } = new();

    public int ProcessorCount { get; set; } = 2;

    public ConfigEnvironment Environment => ConfigEnvironment.From(Variables, Files.Directory, ProcessorCount);

    public ConfigRequest Request(params string[] arguments) => new()
    {
        Arguments = arguments,
        Environment = Environment,
        LocatePython = given => given ?? "/usr/bin/python3",
    };

    public ConfigLoadResult Load(params string[] arguments) => ConfigLoader.Load(Request(arguments));

    /// <summary>Loads and asserts it worked without any problem.</summary>
    public PyHost.Configuration.Model.PyHostConfig LoadValid(params string[] arguments)
    {
        ConfigLoadResult result = Load(arguments);
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        return result.Config!;
    }

    public string Errors(params string[] arguments)
    {
        ConfigLoadResult result = Load(arguments);
        Assert.False(result.Succeeded, "expected errors, got none");
        return string.Join("\n", result.Errors);
    }

    public void Dispose() => Files.Dispose();
}
