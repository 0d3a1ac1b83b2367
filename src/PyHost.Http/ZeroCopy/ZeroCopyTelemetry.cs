using System.Diagnostics.Metrics;
using PyHost.Http.Observability;

namespace PyHost.Http.ZeroCopy;

/// <summary>Whose file a connection sends: it decides the counter its bytes go to.</summary>
public enum SentFileSource
{
    /// <summary>A static route's file.</summary>
    StaticRoute,

    /// <summary>A file an ASGI app named with <c>http.response.pathsend</c>.</summary>
    Pathsend,
}

/// <summary>
/// Bytes of files the kernel sent by sendfile(2), static routes' (Prometheus: pyhost_static_sendfile_bytes_total) and
/// ASGI apps' pathsend (pyhost_pathsend_sendfile_bytes_total): counted from what the system call returned, so they show
/// whether the zero-copy path is the one taken.
/// </summary>
internal static class ZeroCopyTelemetry
{
    private static readonly Meter Meter = new(HttpTelemetry.MeterName);

    private static readonly Counter<long> StaticSentBySendFile = Meter.CreateCounter<long>("pyhost.static.sendfile", "By",
        "Static file bytes sent by sendfile(2), without a copy through user space.");

    private static readonly Counter<long> PathsendSentBySendFile = Meter.CreateCounter<long>("pyhost.pathsend.sendfile", "By",
        "Bytes of files ASGI apps named with http.response.pathsend, sent by sendfile(2) without a copy through user space.");

    public static void RecordSent(SentFileSource source, long bytes) =>
        (source == SentFileSource.Pathsend ? PathsendSentBySendFile : StaticSentBySendFile).Add(bytes);
}
