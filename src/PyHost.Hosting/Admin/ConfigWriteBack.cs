using System.Diagnostics.CodeAnalysis;
using PyHost.Configuration.Model;
using PyHost.Configuration.Toml.Editing;

namespace PyHost.Hosting.Admin;

/// <summary>
/// <c>?write=1</c>: the change written into the user's pyhost.toml as an edit of that file (what changed, in place:
/// <see cref="TomlFileEditor"/>), as <c>git config</c> or Caddy's admin API persist a change, never a rewrite of the
/// whole file. Refused when the file on disk is not the text the server read (someone edited it since: their edit is
/// not overwritten) or when the change has no place in the file's shape. Written atomically with the file's mode.
/// </summary>
internal sealed record ConfigWriteBack(string Path, string Original, string Text)
{
    /// <summary>The edit of <paramref name="path"/> that writes <paramref name="given"/> (the change as read, before the
    /// server filled in defaults) over <paramref name="running"/>; the reason when there is none.</summary>
    public static bool TryPrepare(string path, PyHostConfig running, PyHostConfig given, [NotNullWhen(true)] out ConfigWriteBack? write, [NotNullWhen(false)] out string? refusal)
    {
        write = null;
        if (!TryReadUnchanged(path, running.SourceText, out string? original, out refusal))
        {
            return false;
        }
        if (!TomlFileEditor.TryApply(original, ConfigDiff.Between(running, given), System.IO.Path.GetDirectoryName(path) ?? "/", out string? edited, out string? error))
        {
            refusal = $"the change cannot be written into {path}: {error}. The change was not applied; "
                      + "apply it without ?write=1 and edit the file, or edit the file and reload";
            return false;
        }
        write = new ConfigWriteBack(path, original, edited);
        return true;
    }

    /// <summary>Writes the edited text, unless the file changed since it was prepared.</summary>
    public bool TryWrite([NotNullWhen(false)] out string? refusal)
    {
        if (!TryReadUnchanged(Path, Original, out _, out refusal))
        {
            refusal = "the change was applied (GET /config shows it) but not written: " + refusal;
            return false;
        }
        if (Text == Original)
        {
            return true;
        }
        string temporary = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? "/", $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
        try
        {
            UnixFileMode mode = File.GetUnixFileMode(Path);
            File.WriteAllText(temporary, Text);
            File.SetUnixFileMode(temporary, mode);
            // rename(2) in one directory: a reader sees the old file or the new one, never half of it.
            File.Move(temporary, Path, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            refusal = $"the change was applied (GET /config shows it) but {Path} could not be written: {ex.Message}";
            return false;
        }
    }

    private static bool TryReadUnchanged(string path, string? read, [NotNullWhen(true)] out string? text, [NotNullWhen(false)] out string? refusal)
    {
        text = null;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            refusal = $"cannot read {path}: {ex.Message}";
            return false;
        }
        if (text != read)
        {
            refusal = $"{path} changed on disk since the server read it; its edit is not overwritten. "
                      + "Reload the server (pyhost reload) to run the file as it is, then make the change again";
            text = null;
            return false;
        }
        refusal = null;
        return true;
    }
}
