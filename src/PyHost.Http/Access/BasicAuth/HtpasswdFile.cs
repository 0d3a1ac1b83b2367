using System.Collections.Frozen;
using Microsoft.Extensions.Logging;

namespace PyHost.Http.Access.BasicAuth;

/// <summary>An htpasswd file that cannot be used, with the line and the reason.</summary>
public sealed class HtpasswdException(string message) : Exception(message);

/// <summary>
/// The users of an htpasswd file as Apache's <c>htpasswd</c> writes it: <c>user:hash</c> lines, blank lines and
/// <c># comments</c> skipped. Every hash must be one PyHost reads (<see cref="PasswordHash"/>): a plain-text or
/// unreadable password refuses the whole file with its line, at start. The file is looked at again at most once a
/// second and re-read when it changed; a broken edit is logged and the users read before stay in force.
/// </summary>
public sealed partial class HtpasswdFile
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _reloading = new();
    private FrozenDictionary<string, PasswordHash> _users;
    private (DateTime Modified, long Length) _version;
    private long _nextCheck;

    private HtpasswdFile(string path, FrozenDictionary<string, PasswordHash> users, (DateTime, long) version, ILogger logger, TimeProvider time)
    {
        Path = path;
        _users = users;
        _version = version;
        _logger = logger;
        _time = time;
        _nextCheck = time.GetTimestamp() + Ticks(RecheckInterval);
    }

    public string Path { get; }

    public int Count => _users.Count;

    /// <summary>Reads the file; throws <see cref="HtpasswdException"/> naming the file, the line and a hint.</summary>
    public static HtpasswdFile Load(string path, ILogger logger, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        (DateTime, long) version = VersionOf(path);
        return new HtpasswdFile(path, Parse(path, ReadText(path)), version, logger, time);
    }

    /// <summary>The user's hash, after a reload if the file changed; null for a user the file does not have.</summary>
    public PasswordHash? Find(string user)
    {
        ReloadIfChanged();
        return _users.GetValueOrDefault(user);
    }

    /// <summary>
    /// For a user the file lacks, one of the file's own hashes to check the password against, chosen by the name (the
    /// runtime's per-process randomized string hash, so a name always gets the same one): an unknown name then costs what
    /// a wrong password costs a real user, whatever kind and cost of hash the file holds. Null for a file without users.
    /// </summary>
    public PasswordHash? DecoyFor(string user)
    {
        var hashes = Volatile.Read(ref _users).Values;
        return hashes.IsEmpty ? null : hashes[(int)((uint)StringComparer.Ordinal.GetHashCode(user) % (uint)hashes.Length)];
    }

    public static FrozenDictionary<string, PasswordHash> Parse(string path, string text)
    {
        var users = new Dictionary<string, PasswordHash>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int number = 1; number <= lines.Length; number++)
        {
            string line = lines[number - 1].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new HtpasswdException($"{path}:{number}: expected USER:HASH, as htpasswd writes it");
            }
            string user = line[..colon];
            // A third field (htdigest's realm, or a comment some tools add) is ignored, as Apache does.
            string stored = line[(colon + 1)..].Split(':')[0].Trim();
            if (PasswordHash.Parse(stored, out string? problem) is not { } hash)
            {
                throw new HtpasswdException($"{path}:{number}: user '{user}': {problem}");
            }
            users[user] = hash;
        }
        return users.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private void ReloadIfChanged()
    {
        long now = _time.GetTimestamp();
        if (now < Volatile.Read(ref _nextCheck) || !_reloading.TryEnter())
        {
            return;
        }
        try
        {
            Volatile.Write(ref _nextCheck, now + Ticks(RecheckInterval));
            (DateTime, long) version;
            try
            {
                version = VersionOf(Path);
            }
            catch (HtpasswdException error)
            {
                if (_version != default)
                {
                    LogReloadFailed(Path, error.Message);
                    _version = default;
                }
                return;
            }
            if (version == _version)
            {
                return;
            }
            _version = version;
            try
            {
                FrozenDictionary<string, PasswordHash> users = Parse(Path, ReadText(Path));
                Volatile.Write(ref _users, users);
                LogReloaded(Path, users.Count);
            }
            catch (HtpasswdException error)
            {
                LogReloadFailed(Path, error.Message);
            }
        }
        finally
        {
            _reloading.Exit();
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static (DateTime, long) VersionOf(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new HtpasswdException($"{path}: no such file");
        }
        return (info.LastWriteTimeUtc, info.Length);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new HtpasswdException($"{path}: cannot read it: {error.Message}");
        }
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Information, Message = "Basic auth: re-read {Path} ({Count} users)")]
    private partial void LogReloaded(string path, int count);

    [LoggerMessage(EventId = 621, Level = LogLevel.Error, Message = "Basic auth: the changed {Path} cannot be used, the users read before stay: {Problem}")]
    private partial void LogReloadFailed(string path, string problem);
}
