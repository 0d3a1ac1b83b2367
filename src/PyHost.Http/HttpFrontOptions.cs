using PyHost.Http.StaticFiles;

namespace PyHost.Http;

public sealed record HttpFrontOptions
{
    public required IReadOnlyList<BindAddress> Binds { get; init; }

    /// <summary>The sockets PyHost bound or inherited (Listening/ListenerSet); when given, they are served instead of
    /// <see cref="Binds"/>.</summary>
    public IReadOnlyList<Listening.FrontListener> Listeners { get; init; } = [];

    /// <summary>--backlog: the kernel's listen(2) backlog of connections not yet accepted (gunicorn's meaning).</summary>
    public int Backlog { get; init; } = 2048;

    /// <summary>How long in-flight requests may run on after a stop signal.</summary>
    public TimeSpan GracefulTimeout { get; init; } = TimeSpan.FromSeconds(30);


    /// <summary>The <c>--static</c> mounts, answered by the front without a worker.</summary>
    public IReadOnlyList<StaticMount> StaticMounts { get; init; } = [];
}
