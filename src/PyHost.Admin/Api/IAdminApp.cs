using PyHost.Http.Observability;
using PyHost.Workers.Observability;
using PyHost.Workers.Supervision;

namespace PyHost.Admin.Api;

/// <summary>One app as the admin API steers it: its status, reload, scale and stack dumps.</summary>
public interface IAdminApp
{
    string Name { get; }

    AppStatus Status();

    RecentErrors Errors { get; }

    /// <summary>"ok: …" or "error: …", as the arbiter says.</summary>
    Task<string> ReloadAsync(string reason);

    Task<int> ScaleAsync(int delta, int? absolute);

    Task<StackDumpResult> DumpStackAsync(int workerId);
}

/// <summary>An app served by an <see cref="Arbiter"/>, with the front's request statistics for it.</summary>
public sealed class ArbiterApp(Arbiter arbiter, RequestStatistics requests) : IAdminApp
{
    public string Name => arbiter.AppName;

    public AppStatus Status() => arbiter.Status() with { Requests = requests.Summary() };

    public RecentErrors Errors => arbiter.Errors;

    public Task<string> ReloadAsync(string reason) => arbiter.ReloadAsync(reason);

    public Task<int> ScaleAsync(int delta, int? absolute) => arbiter.ScaleAsync(delta, absolute);

    public Task<StackDumpResult> DumpStackAsync(int workerId) => arbiter.DumpStackAsync(workerId);
}
