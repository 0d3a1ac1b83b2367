namespace PyHost.Tls.State;

/// <summary>
/// The directory kept across restarts: the local CA, ACME account keys and obtained certificates. It and every
/// directory in it are 0700 and every file 0600 (private keys), written whole to a temporary name and renamed, so a
/// crash never leaves half a key behind.
/// </summary>
public sealed class StateDirectory
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public StateDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>[server] state_dir, else $XDG_STATE_HOME/pyhost, else ~/.local/state/pyhost (the XDG base directory spec).</summary>
    public static StateDirectory Resolve(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new StateDirectory(configured);
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (!string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg))
        {
            return new StateDirectory(System.IO.Path.Combine(xdg, "pyhost"));
        }
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new StateDirectory(System.IO.Path.Combine(home, ".local", "state", "pyhost"));
    }

    /// <summary>A directory below the state directory (made 0700 with every parent up to it), as a full path.</summary>
    public string Directory(params string[] parts)
    {
        EnsureDirectory(Path);
        string current = Path;
        foreach (string part in parts)
        {
            current = System.IO.Path.Combine(current, part);
            EnsureDirectory(current);
        }
        return current;
    }

    public static void WritePrivate(string path, string text) => Write(path, text, FileMode);

    /// <summary>A file meant to be copied elsewhere (a CA certificate): readable by all, like /etc/ssl/certs.</summary>
    public static void WritePublic(string path, string text) =>
        Write(path, text, FileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

    private static void Write(string path, string text, UnixFileMode mode)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
               {
                   Mode = System.IO.FileMode.Create,
                   Access = FileAccess.Write,
                   UnixCreateMode = mode,
               }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }
        File.SetUnixFileMode(temporary, mode);
        File.Move(temporary, path, overwrite: true);
    }

    private static void EnsureDirectory(string path)
    {
        if (!System.IO.Directory.Exists(path))
        {
            System.IO.Directory.CreateDirectory(path, DirectoryMode);
        }
        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                           | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            File.SetUnixFileMode(path, DirectoryMode);
        }
    }
}
