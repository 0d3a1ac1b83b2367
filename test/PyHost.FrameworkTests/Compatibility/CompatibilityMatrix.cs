using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace PyHost.FrameworkTests.Compatibility;

/// <summary>The outcome of one test for the report.</summary>
public sealed record CheckResult(FrameworkRow Row, string Description, bool Passed, string? Failure);

/// <summary>All the framework tests share one matrix, which the run turns into docs/compatibility.md.</summary>
[CollectionDefinition(Name)]
public sealed class CompatibilityCollection : ICollectionFixture<CompatibilityMatrix>
{
    public const string Name = "Compatibility matrix";
}

/// <summary>
/// Collects what each framework test checked and whether it passed, and at the end of the run writes the report to
/// artifacts/compatibility.md. A test run never changes a tracked file: docs/compatibility.md is refreshed only by
/// `make compat-report` (which sets <see cref="RefreshVariable"/>), and only from a run where every test of the
/// matrix ran and passed (a filtered run must not shrink it, nor a loaded machine write a failure into it).
/// </summary>
public sealed class CompatibilityMatrix : IAsyncLifetime
{
    public const string RefreshVariable = "PYHOST_REFRESH_COMPATIBILITY_DOC";

    private readonly ConcurrentDictionary<string, CheckResult> results = new();

    /// <summary>
    /// Runs one test and records its outcome under the test method's name (the rows of a theory share it, and one
    /// failing row makes the check fail); the test's exception is rethrown.
    /// </summary>
    public async Task CheckAsync(FrameworkRow row, string description, Type testClass, string testMethod, Func<Task> test)
    {
        string key = Key(testClass, testMethod);
        try
        {
            await test();
            results.TryAdd(key, new CheckResult(row, description, Passed: true, Failure: null));
        }
        catch (Exception e)
        {
            results[key] = new CheckResult(row, description, Passed: false, Failure: FirstLine(e.Message));
            throw;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        string report = CompatibilityReport.Render(results.Values.ToList(), RunDescription());
        string artifacts = Path.Combine(Repository.Root, "artifacts");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, "compatibility.md"), report);
        if (Environment.GetEnvironmentVariable(RefreshVariable) == "1")
        {
            List<string> missing = ExpectedChecks().Where(key => !results.ContainsKey(key)).ToList();
            List<string> failed = results.Where(result => !result.Value.Passed).Select(result => result.Key).ToList();
            if (missing.Count == 0 && failed.Count == 0)
            {
                await File.WriteAllTextAsync(Path.Combine(Repository.Root, "docs", "compatibility.md"), report);
            }
            else
            {
                await File.WriteAllTextAsync(Path.Combine(artifacts, "compatibility-not-refreshed.txt"),
                    "docs/compatibility.md was not refreshed: " + string.Join(", ", missing.Select(key => "not run: " + key).Concat(failed.Select(key => "failed: " + key))) + "\n");
            }
        }
    }

    /// <summary>Every test method of the matrix classes that is not skipped.</summary>
    private static IEnumerable<string> ExpectedChecks() =>
        from type in typeof(CompatibilityMatrix).Assembly.GetTypes()
        where !type.IsAbstract && typeof(MatrixTest).IsAssignableFrom(type)
        from method in type.GetMethods()
        let fact = method.GetCustomAttribute<FactAttribute>()
        where fact is not null && fact.Skip is null
        select Key(type, method.Name);

    private static string Key(Type testClass, string testMethod) => $"{testClass.FullName}.{testMethod}";

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return line.Length <= 300 ? line : line[..300] + "...";
    }

    private static string RunDescription()
    {
        string pyhostVersion = Run(Repository.PyHostExecutable, "--version");
        string gunicornPackage = DebianPackages.InstalledVersion(Gunicorn.DebianPackage) ?? "not installed";
        return $"Debian {DebianPackages.DebianRelease()}, Python {DebianPackages.PythonVersion()} ({Repository.Python}), " +
               $"pyhost {pyhostVersion}; reference: gunicorn {DebianPackages.PythonDistributionVersion("gunicorn")} " +
               $"(Debian package {gunicornPackage}), sync workers. Two workers on each side.";
    }

    private static string Run(string fileName, string argument)
    {
        using Process process = Process.Start(new ProcessStartInfo(fileName, argument) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }
}
