using PyHost.Http.StaticFiles;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

public sealed record HttpFrontOptions
{
    public required IReadOnlyList<BindAddress> Binds { get; init; }

    /// <summary>How long in-flight requests may run on after a stop signal.</summary>
    public TimeSpan GracefulTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How requests for the app are buffered and limited on their way to the workers.</summary>
    public DispatchPolicy Dispatch { get; init; } = DispatchPolicy.Default;

    /// <summary>The <c>--static</c> mounts, answered by the front without a worker.</summary>
    public IReadOnlyList<StaticMount> StaticMounts { get; init; } = [];
}
