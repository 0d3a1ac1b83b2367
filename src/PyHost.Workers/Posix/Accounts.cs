using System.Globalization;
using System.Runtime.InteropServices;

namespace PyHost.Workers.Posix;

/// <summary>A user or group resolved to its id: <c>-u www-data</c> or <c>-u 33</c>, as gunicorn takes them.</summary>
public sealed record Account(string Name, uint Id, uint PrimaryGroup, string Home);

/// <summary>Users and groups looked up through the C library, so NSS sources (LDAP, systemd's DynamicUser) count.</summary>
public static class Accounts
{
    // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; char *pw_gecos; char *pw_dir; ... }
    // and struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... } on 64-bit Linux.
    private const int PasswordUidOffset = 16;
    private const int PasswordGidOffset = 20;
    private const int PasswordHomeOffset = 32;
    private const int GroupGidOffset = 16;

    public static Account? FindUser(string nameOrId)
    {
        IntPtr entry = uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out uint id)
            ? LibC.GetPasswordEntry(id)
            : LibC.GetPasswordEntry(nameOrId);
        if (entry == IntPtr.Zero)
        {
            return null;
        }
        return new Account(
            Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry)) ?? nameOrId,
            (uint)Marshal.ReadInt32(entry, PasswordUidOffset),
            (uint)Marshal.ReadInt32(entry, PasswordGidOffset),
            Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry, PasswordHomeOffset)) ?? "/");
    }

    public static Account? FindGroup(string nameOrId)
    {
        IntPtr entry = uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out uint id)
            ? LibC.GetGroupEntry(id)
            : LibC.GetGroupEntry(nameOrId);
        if (entry == IntPtr.Zero)
        {
            return null;
        }
        uint gid = (uint)Marshal.ReadInt32(entry, GroupGidOffset);
        return new Account(Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry)) ?? nameOrId, gid, gid, "/");
    }

    /// <summary>The name of the user PyHost runs as now ("root", "www-data"), or its id.</summary>
    public static string CurrentUserName()
    {
        uint id = LibC.GetEffectiveUserId();
        IntPtr entry = LibC.GetPasswordEntry(id);
        return entry == IntPtr.Zero ? $"uid {id}" : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry)) ?? $"uid {id}";
    }
}
