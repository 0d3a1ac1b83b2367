namespace PyHost.Workers.Dispatch.Buffering;

/// <summary>
/// How much the front may hold for clients that are slower than the app: per request and in total, in memory and in
/// temporary files. Beyond the totals a request body gets 503, and a response falls back to the worker waiting for
/// its client (credit is then granted only as the client reads), with a log line.
/// </summary>
public sealed record BufferLimits
{
    /// <summary>
    /// A request body up to this size stays in memory (and goes to the worker with its request, no round trip); a
    /// larger one, or any while the memory budget is used up, goes to a temporary file.
    /// </summary>
    public int RequestBodyMemory { get; init; } = 1024 * 1024;

    /// <summary>Response bytes one request may keep in memory before the rest goes to a temporary file.</summary>
    public int ResponseMemory { get; init; } = 1024 * 1024;

    /// <summary>Response bytes one request may keep in its temporary file (nginx: proxy_max_temp_file_size 1024m).</summary>
    public long ResponseDisk { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Buffered bytes in memory, all requests together.</summary>
    public long MemoryTotal { get; init; } = 256L * 1024 * 1024;

    /// <summary>Buffered bytes in temporary files, all requests together.</summary>
    public long DiskTotal { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Where temporary files are made (mode 0600, unlinked at once); the runtime directory.</summary>
    public required string Directory { get; init; }
}
