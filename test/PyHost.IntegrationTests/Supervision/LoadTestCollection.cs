using Xunit;

namespace PyHost.IntegrationTests.Supervision;

/// <summary>
/// The tests that put wrk's load on a server run alone, after the others: on a 2-core machine, another class's
/// servers would take the CPU that the load, the reloads and the timing depend on.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadTestCollection
{
    public const string Name = "Supervision under load";
}
