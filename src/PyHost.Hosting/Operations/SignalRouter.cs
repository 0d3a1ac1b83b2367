using System.Runtime.InteropServices;
using PyHost.Workers.Posix;

namespace PyHost.Hosting.Operations;

/// <summary>
/// Every signal PyHost takes, installed first thing, so each works from the first moment and whatever the inherited
/// disposition: a process started by nohup or as a background job of a script inherits SIGHUP, SIGINT or SIGQUIT as
/// ignored, and .NET's PosixSignalRegistration respects an ignored signal, so the disposition is reset to the
/// default first (in Program, before .NET sets up its own handling of SIGINT and SIGQUIT). Handlers only post work: they run on .NET's signal thread.
/// <list type="bullet">
/// <item>SIGTERM, SIGINT: graceful stop (<see cref="Stopped"/>), in any state, start-up included.</item>
/// <item>SIGQUIT: stop at once.</item>
/// <item>SIGHUP: reload the workers; SIGTTIN/SIGTTOU: one worker more or fewer (gunicorn's signals).</item>
/// <item>SIGUSR1: reopen the log files (nginx's and gunicorn's); SIGUSR2: upgrade the binary.</item>
/// </list>
/// </summary>
public sealed class SignalRouter : IDisposable
{
    // Linux numbers (the same on x86-64 and arm64). PosixSignal names only some; the rest are passed as numbers.
    public const int SigHup = 1;
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigUsr1 = 10;
    public const int SigUsr2 = 12;
    public const int SigTerm = 15;
    public const int SigTtin = 21;
    public const int SigTtou = 22;

    public static readonly int[] Handled = [SigHup, SigInt, SigQuit, SigUsr1, SigUsr2, SigTerm, SigTtin, SigTtou];

    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<int, Action> _actions = new();

    private SignalRouter()
    {
        foreach (int signal in Handled)
        {
            LibC.ResetIfIgnored(signal);   // Program did it at start; this covers a signal ignored since
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                // Cancel the default action (terminate, for most of these) whatever happens next.
                context.Cancel = true;
                Route(signal);
            }));
        }
    }

    public static SignalRouter Install() => new();

    /// <summary>Completes with the signal's name on SIGTERM or SIGINT.</summary>
    public Task<string> Stopped => _stopped.Task;

    /// <summary>What a signal does from now on; until set, a signal other than TERM/INT/QUIT is ignored (logged by
    /// <see cref="Unhandled"/>).</summary>
    public void On(int signal, Action action)
    {
        lock (_actions)
        {
            _actions[signal] = action;
        }
    }

    /// <summary>Told when a signal arrives before PyHost can act on it (during start-up).</summary>
    public Action<string>? Unhandled { get; set; }

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }
    }

    public static string Name(int signal) => signal switch
    {
        SigHup => "SIGHUP",
        SigInt => "SIGINT",
        SigQuit => "SIGQUIT",
        SigUsr1 => "SIGUSR1",
        SigUsr2 => "SIGUSR2",
        SigTerm => "SIGTERM",
        SigTtin => "SIGTTIN",
        SigTtou => "SIGTTOU",
        _ => $"signal {signal}",
    };

    private void Route(int signal)
    {
        Action? action;
        lock (_actions)
        {
            _actions.TryGetValue(signal, out action);
        }
        if (signal is SigTerm or SigInt)
        {
            _stopped.TrySetResult(Name(signal));
            return;
        }
        if (action is not null)
        {
            action();
        }
        else if (signal == SigQuit)
        {
            Environment.Exit(0);   // nothing started yet that needs stopping
        }
        else
        {
            Unhandled?.Invoke(Name(signal));
        }
    }
}
