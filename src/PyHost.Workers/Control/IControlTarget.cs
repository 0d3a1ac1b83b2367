namespace PyHost.Workers.Control;

/// <summary>What the control socket's commands act on: the running server.</summary>
public interface IControlTarget
{
    /// <summary>A reload (`pyhost reload`); the answer starts with "ok" or "error".</summary>
    Task<string> ReloadAsync(string reason);

    /// <summary>Sets an app's worker count (null: the only app), or moves it by <paramref name="delta"/>.</summary>
    Task<string> ScaleAsync(string? app, int delta, int? absolute);
}
