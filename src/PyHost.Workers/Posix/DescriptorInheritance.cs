namespace PyHost.Workers.Posix;

/// <summary>
/// Every descriptor .NET makes is closed on exec. The binary upgrade (SIGUSR2) makes the listening sockets and a pipe
/// inheritable for the one new PyHost process it starts; this lock is held from then until they are closed on exec
/// again, and by every worker start, so no worker ever inherits them.
/// </summary>
public static class DescriptorInheritance
{
    public static readonly Lock ChildStart = new();
}
