using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PyHost.Workers.Supervision;

namespace PyHost.Cli;

/// <summary>
/// gunicorn's signals, handled by posting to the arbiter's loop: SIGHUP reloads the workers, SIGTTIN and SIGTTOU add
/// and remove one, SIGQUIT stops at once. SIGTERM and SIGINT are the host's graceful stop.
/// </summary>
public sealed class SignalHandlers : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();

    public SignalHandlers(Arbiter arbiter, ILogger log)
    {
        Handle(PosixSignal.SIGHUP, () => _ = arbiter.ReloadAsync("SIGHUP"));
        Handle(PosixSignal.SIGTTIN, () => _ = arbiter.ScaleAsync(+1));
        Handle(PosixSignal.SIGTTOU, () => _ = arbiter.ScaleAsync(-1));
        Handle(PosixSignal.SIGQUIT, () =>
        {
            log.LogWarning("SIGQUIT: stopping at once, without waiting for requests");
            arbiter.KillAll();
            Environment.Exit(0);
        });
    }

    private void Handle(PosixSignal signal, Action action) =>
        _registrations.Add(PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            action();
        }));

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
