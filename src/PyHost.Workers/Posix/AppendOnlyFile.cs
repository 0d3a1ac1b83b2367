using Microsoft.Win32.SafeHandles;

namespace PyHost.Workers.Posix;

/// <summary>
/// A log file opened as nginx and gunicorn open theirs: O_APPEND, so every write lands at the end of the file as it
/// is now. After logrotate's copytruncate the next line starts the emptied file, instead of at the old offset behind
/// a run of NUL bytes (.NET's FileMode.Append only seeks to the end once, at open).
/// </summary>
public static class AppendOnlyFile
{
    private const int Mode = 0b110_100_100;   // 0644, less the umask

    /// <summary>Opens (creating if needed) <paramref name="path"/> for appending; throws <see cref="FileOpenException"/>
    /// with a one-line reason naming the path.</summary>
    public static Stream Open(string path, string what)
    {
        string full = Path.GetFullPath(path);
        int descriptor = LibC.Open(full, LibC.OpenWriteOnly | LibC.OpenCreate | LibC.OpenAppend | LibC.OpenCloseOnExec, Mode);
        if (descriptor < 0)
        {
            throw new FileOpenException(FileProblem.Describe(what, full, LibC.LastError));
        }
        // On Linux a write at any offset to an O_APPEND file appends (pwrite(2), BUGS), so FileStream's own idea of
        // the position, which is stale after a truncation, never matters.
        return new FileStream(new SafeFileHandle(descriptor, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }
}

/// <summary>A file PyHost must create or write cannot be: the message is one line, for the user.</summary>
public sealed class FileOpenException(string message) : IOException(message);

/// <summary>Why a path cannot be used, in words that say what to do.</summary>
public static class FileProblem
{
    private const int NoSuchEntry = 2;        // ENOENT
    private const int PermissionDenied = 13;  // EACCES
    private const int NotADirectory = 20;     // ENOTDIR
    private const int IsADirectory = 21;      // EISDIR
    private const int ReadOnlyFileSystem = 30; // EROFS

    /// <summary>"cannot open the error log /x/a.log: directory /x does not exist", and the like.</summary>
    public static string Describe(string what, string path, int errno)
    {
        string directory = Path.GetDirectoryName(path) ?? "/";
        string cause = errno switch
        {
            NoSuchEntry when !Directory.Exists(directory) => $"directory {directory} does not exist",
            NotADirectory => $"{directory} is not a directory",
            PermissionDenied => $"permission denied (PyHost runs as {Accounts.CurrentUserName()}; "
                                + $"check the permissions of {(File.Exists(path) ? path : directory)})",
            IsADirectory => "it is a directory",
            ReadOnlyFileSystem => "the file system is read-only",
            _ => LibC.Describe(errno),
        };
        return $"cannot {what} {path}: {cause}";
    }
}
