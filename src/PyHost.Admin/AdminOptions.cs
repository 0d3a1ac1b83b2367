using PyHost.Configuration.Model;
using PyHost.Http;

namespace PyHost.Admin;

/// <summary>Where the admin API listens and how TCP callers prove who they are.</summary>
public sealed record AdminOptions
{
    /// <summary>The unix socket (made 0600: only the server's user may steer it). Always on.</summary>
    public required string SocketPath { get; init; }

    /// <summary>Where a server puts its control socket when the configuration names none: beside its pid file
    /// (site.pid → site.control.sock), so scripts find it; else in its private runtime directory.</summary>
    public static string ControlSocketPathFor(string? pidFile, string runtimeDirectory) =>
        pidFile is null
            ? Path.Combine(runtimeDirectory, "control.sock")
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pidFile))!, Path.GetFileNameWithoutExtension(pidFile) + ".control.sock");

    /// <summary>A TCP address as well (<c>--admin HOST:PORT</c>), for Prometheus and the dashboard in a browser.</summary>
    public ListenAddress? Tcp { get; init; }

    /// <summary>The bearer token every TCP request must carry (<c>--admin-token-file</c>); required with <see cref="Tcp"/>.</summary>
    public string? Token { get; init; }

    /// <summary>Replace whatever is at <see cref="SocketPath"/> without asking: a binary upgrade's successor takes
    /// the control socket over from the server it replaces, which is still running.</summary>
    public bool TakeOver { get; init; }
}
