namespace PyHost.Workers;

/// <summary>What the arbiter needs to run the workers; filled from the command line.</summary>
public sealed record WorkerOptions
{
    /// <summary>The app spec as gunicorn takes it: <c>module:attr</c>, <c>module</c>, <c>module:factory(...)</c>.</summary>
    public required string App { get; init; }

    public required string Python { get; init; }

    public int Workers { get; init; } = System.Environment.ProcessorCount;

    /// <summary>The app directory (<c>--chdir</c>); workers run there and import from there.</summary>
    public string WorkingDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary><c>--pythonpath</c> entries, put first on the worker's sys.path.</summary>
    public IReadOnlyList<string> PythonPath { get; init; } = [];

    /// <summary><c>-e KEY=VALUE</c> pairs for the workers' environment.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; init; } = new Dictionary<string, string>();

    /// <summary>A request running longer gets 504 and its worker is replaced; zero turns it off.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool Debug { get; init; }

    /// <summary>Requests that may wait for a free worker before the rest get 503.</summary>
    public int Backlog { get; init; } = 2048;
}
