using Microsoft.Win32.SafeHandles;

namespace PyHost.Workers.Dispatch.Buffering;

/// <summary>
/// An anonymous temporary file for buffered bodies: created 0600 in the runtime directory and unlinked at once, so
/// nothing is left behind whatever happens to the process, and no other user can open it.
/// </summary>
public sealed class TempFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly SafeFileHandle _handle;

    private TempFile(FileStream stream)
    {
        _stream = stream;
        _handle = stream.SafeFileHandle;
    }

    public static TempFile Create(string directory)
    {
        string path = Path.Combine(directory, "buffer-" + Guid.NewGuid().ToString("N"));
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        File.Delete(path);
        return new TempFile(stream);
    }

    public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(_handle, data, offset);

    public int Read(long offset, Span<byte> destination) => RandomAccess.Read(_handle, destination, offset);

    public void Dispose() => _stream.Dispose();
}
