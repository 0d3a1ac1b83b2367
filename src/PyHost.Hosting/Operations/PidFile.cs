using System.Globalization;
using PyHost.Workers.Posix;

namespace PyHost.Hosting.Operations;

/// <summary>
/// --pid FILE: written (atomically, by rename) once PyHost accepts connections, so a script that waits for it finds a
/// server that answers; removed at exit only while it still holds this process's pid (after a binary upgrade it holds
/// the successor's).
/// </summary>
public sealed class PidFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Checked at start, before any worker boots: one line when the directory is missing or not writable.</summary>
    public string? Problem()
    {
        string directory = System.IO.Path.GetDirectoryName(Path) ?? "/";
        if (!Directory.Exists(directory))
        {
            return $"cannot write the pid file {Path}: directory {directory} does not exist";
        }
        if (!LibC.IsWritable(directory))
        {
            return $"cannot write the pid file {Path}: permission denied (PyHost runs as {Accounts.CurrentUserName()}; "
                   + $"check the permissions of {directory})";
        }
        return null;
    }

    public void Write()
    {
        string temporary = Path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temporary, Path, overwrite: true);
    }

    public void RemoveIfMine()
    {
        try
        {
            if (File.Exists(Path) && File.ReadAllText(Path).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(Path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
