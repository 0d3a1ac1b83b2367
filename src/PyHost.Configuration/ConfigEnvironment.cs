namespace PyHost.Configuration;

/// <summary>
/// What loading a configuration reads from outside the files: environment variables, the current directory, the
/// number of cores. Passed in, so tests can give their own and the loader stays a pure function.
/// </summary>
public sealed record ConfigEnvironment(Func<string, string?> Variable, string WorkingDirectory, int ProcessorCount)
{
    public static ConfigEnvironment Current() =>
        new(Environment.GetEnvironmentVariable, Environment.CurrentDirectory, Environment.ProcessorCount);

    public static ConfigEnvironment From(IReadOnlyDictionary<string, string> variables, string workingDirectory, int processorCount = 2) =>
        new(name => variables.TryGetValue(name, out string? value) ? value : null, workingDirectory, processorCount);
}
