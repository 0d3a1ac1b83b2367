using Microsoft.Win32.SafeHandles;

namespace PyHost.Http.ZeroCopy;

/// <summary>A file region in a connection's output: it goes on the wire after the first <see cref="At"/> bytes.</summary>
internal sealed class FileSegment(SafeFileHandle file, long offset, long length, long at, SentFileSource source)
{
    private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SafeFileHandle File { get; } = file;

    public long Offset { get; } = offset;

    public long Length { get; } = length;

    /// <summary>How many of the output's bytes come before the file.</summary>
    public long At { get; } = at;

    public SentFileSource Source { get; } = source;

    /// <summary>Bytes of the file on the wire so far.</summary>
    public long Sent { get; set; }

    /// <summary>Completes with <see cref="Sent"/> when the file is sent or the connection broke.</summary>
    public Task<long> Done => _done.Task;

    public void Finish() => _done.TrySetResult(Sent);
}
