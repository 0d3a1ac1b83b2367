namespace PyHost.Workers.Posix;

/// <summary>
/// -u/--user and -g/--group: once the listening sockets are bound, the front drops to that user and group, as
/// nginx's workers do, so the process that parses requests from the internet is not root. Its workers start from it
/// and so run as that user too. glibc applies setgroups/setgid/setuid to every thread of the process (NPTL's setxid
/// broadcast), which matters because .NET has started many by then.
/// </summary>
public static class Privileges
{
    /// <summary>What the drop resolves to, checked before anything is bound.</summary>
    public sealed record Target(Account? User, Account? Group)
    {
        public uint GroupId => Group?.Id ?? User?.PrimaryGroup ?? LibC.GetGroupId();

        public uint UserId => User?.Id ?? LibC.GetEffectiveUserId();

        public string Describe() => $"user {User?.Name ?? Accounts.CurrentUserName()}, group {Group?.Name ?? GroupId.ToString()}";
    }

    /// <summary>Resolves the names; null and a one-line error when one does not exist.</summary>
    public static Target? Resolve(string? user, string? group, out string? error)
    {
        error = null;
        Account? userAccount = null;
        Account? groupAccount = null;
        if (user is not null && (userAccount = Accounts.FindUser(user)) is null)
        {
            error = $"--user {user}: no such user";
            return null;
        }
        if (group is not null && (groupAccount = Accounts.FindGroup(group)) is null)
        {
            error = $"--group {group}: no such group";
            return null;
        }
        return new Target(userAccount, groupAccount);
    }

    /// <summary>Whether dropping is needed: PyHost runs as root and was asked for another user or group.</summary>
    public static bool IsNeeded(Target target) =>
        LibC.GetEffectiveUserId() == 0 && (target.User is not null || target.Group is not null)
        && (target.UserId != 0 || target.GroupId != 0);

    /// <summary>setgroups, setgid, setuid, in that order (after setuid the others are no longer allowed). Throws with
    /// a one-line reason.</summary>
    public static void Drop(Target target)
    {
        uint gid = target.GroupId;
        if (LibC.SetGroups(1, [gid]) != 0)
        {
            throw new PrivilegeException($"cannot drop to group {gid}: setgroups: {LibC.Describe(LibC.LastError)}");
        }
        if (LibC.SetGroupId(gid) != 0)
        {
            throw new PrivilegeException($"cannot drop to group {gid}: setgid: {LibC.Describe(LibC.LastError)}");
        }
        if (target.User is { } user)
        {
            if (LibC.SetUserId(user.Id) != 0)
            {
                throw new PrivilegeException($"cannot drop to user {user.Name}: setuid: {LibC.Describe(LibC.LastError)}");
            }
            Environment.SetEnvironmentVariable("HOME", user.Home);
            Environment.SetEnvironmentVariable("USER", user.Name);
            Environment.SetEnvironmentVariable("LOGNAME", user.Name);
        }
    }
}

/// <summary>Dropping privileges failed; the message is one line for the user.</summary>
public sealed class PrivilegeException(string message) : Exception(message);
