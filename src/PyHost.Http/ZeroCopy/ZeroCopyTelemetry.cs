using System.Diagnostics.Metrics;
using PyHost.Http.Observability;

namespace PyHost.Http.ZeroCopy;

/// <summary>
/// Bytes of static files the kernel sent by sendfile(2) (Prometheus: pyhost_static_sendfile_bytes_total): counted from
/// what the system call returned, so it shows whether the zero-copy path is the one taken.
/// </summary>
internal static class ZeroCopyTelemetry
{
    private static readonly Meter Meter = new(HttpTelemetry.MeterName);

    private static readonly Counter<long> SentBySendFile = Meter.CreateCounter<long>("pyhost.static.sendfile", "By",
        "Static file bytes sent by sendfile(2), without a copy through user space.");

    public static void RecordSent(long bytes) => SentBySendFile.Add(bytes);
}
