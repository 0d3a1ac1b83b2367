using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PyHost.Gateways.Cgi;

/// <summary>
/// Runs a CGI script for one request (RFC 3875): a process of its own in a process group of its own, its
/// meta-variables as the environment, the request body on stdin, its stdout read as a CGI response
/// (<see cref="CgiResponseReader"/>) and streamed to a sink, its stderr lines to the log. A timeout, or a client that
/// goes away, kills the whole process group. Needs no worker pool.
/// </summary>
public sealed partial class CgiRunner(CgiRunnerOptions options, ILogger<CgiRunner> logger)
{
    // The exit statuses of setsid (util-linux) when its exec fails, as a shell's: found but not runnable, not found.
    private const int ExecFailed = 126;
    private const int ExecNotFound = 127;

    public CgiRunnerOptions Options { get; } = options;

    public async Task<CgiResult> RunAsync(CgiInvocation invocation, ICgiResponseSink sink, CancellationToken cancellationToken)
    {
        string script = invocation.ScriptPath;
        if (!File.Exists(script) || !ProcessGroup.IsExecutable(script))
        {
            string error = File.Exists(script)
                ? $"{script} is not executable (chmod +x it, and give it a #! line)"
                : $"{script} does not exist";
            return Failed(script, new CgiResult(CgiOutcome.NotRunnable) { Error = error });
        }

        using Process? process = Start(invocation, out string? startError);
        if (process is null)
        {
            return Failed(script, new CgiResult(CgiOutcome.NotRunnable) { Error = startError });
        }

        using var timeout = new CancellationTokenSource(Options.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var run = new Run(process, sink, stop);
        Task stderr = LogStderrAsync(process, script);
        Task stdin = FeedStdinAsync(process, invocation.RequestBody, run);
        CgiResult result;
        try
        {
            result = await ReadResponseAsync(run, Options.Limits);
            if (result.Outcome is CgiOutcome.Completed or CgiOutcome.LocalRedirect || run.WroteNothing)
            {
                await process.WaitForExitAsync(stop.Token);
                result = result with { ExitCode = process.ExitCode };
            }
            if (run.WroteNothing && process.ExitCode is ExecFailed or ExecNotFound)
            {
                // setsid could not exec the script: its stderr line, logged above, says why.
                result = new CgiResult(CgiOutcome.NotRunnable)
                {
                    Error = $"{script} could not be run (is its #! line the path of an interpreter that exists?)",
                    ExitCode = process.ExitCode,
                };
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            bool timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !run.Gone;
            result = new CgiResult(timedOut ? CgiOutcome.TimedOut : CgiOutcome.ClientGone)
            {
                ResponseStarted = run.Started,
                RequestBodyError = run.BodyError,
            };
            if (timedOut)
            {
                LogTimedOut(logger, script, Options.Timeout.TotalSeconds);
            }
        }
        if (!process.HasExited)
        {
            ProcessGroup.Kill(process.Id);
        }
        // The run is over: a body still being fed is abandoned. Something the script left running in the background
        // may hold stderr open; its lines are not waited for long.
        await stop.CancelAsync();
        await stdin;
        await Task.WhenAny(stderr, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));

        if (result.Outcome is CgiOutcome.InvalidResponse or CgiOutcome.NotRunnable)
        {
            return Failed(script, result);
        }
        if (result.ExitCode is { } code and not 0)
        {
            LogExitStatus(logger, script, code);
        }
        return result;
    }

    private CgiResult Failed(string script, CgiResult result)
    {
        LogFailed(logger, script, result.Error ?? result.Outcome.ToString());
        return result;
    }

    private Process? Start(CgiInvocation invocation, out string? error)
    {
        var start = new ProcessStartInfo(ProcessGroup.Setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = invocation.WorkingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(invocation.ScriptPath)),
        };
        start.ArgumentList.Add("--");
        if ((Options.User ?? Options.Group) is not null && ProcessGroup.IsRoot)
        {
            // As the app's workers with -u/-g: the script runs as the site's user, never as root.
            start.ArgumentList.Add(ProcessGroup.Setpriv);
            foreach (string argument in ProcessGroup.SetprivArguments(Options.User, Options.Group))
            {
                start.ArgumentList.Add(argument);
            }
            start.ArgumentList.Add("--");
        }
        start.ArgumentList.Add(Path.GetFullPath(invocation.ScriptPath));
        start.Environment.Clear();
        foreach (var (name, value) in invocation.MetaVariables)
        {
            start.Environment[name] = CgiEnvironment.ToProcessString(value);
        }
        if (!start.Environment.ContainsKey("PATH"))
        {
            start.Environment["PATH"] = Options.DefaultPath;
        }
        try
        {
            error = null;
            return Process.Start(start);
        }
        catch (Win32Exception exception)
        {
            error = $"could not start {invocation.ScriptPath}: {exception.Message}";
            return null;
        }
    }

    private static async Task<CgiResult> ReadResponseAsync(Run run, CgiResponseLimits limits)
    {
        PipeReader stdout = PipeReader.Create(run.Process.StandardOutput.BaseStream);
        try
        {
            return await ReadResponseAsync(run, stdout, limits);
        }
        finally
        {
            await stdout.CompleteAsync();
        }
    }

    private static async Task<CgiResult> ReadResponseAsync(Run run, PipeReader stdout, CgiResponseLimits limits)
    {
        CgiResponse? head = null;
        while (true)
        {
            ReadResult read = await stdout.ReadAsync(run.Token);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (head is null)
            {
                var reader = new SequenceReader<byte>(buffer);
                OperationStatus status = CgiResponseReader.TryRead(ref reader, limits, out head, out string? error);
                if (status == OperationStatus.InvalidData || (status == OperationStatus.NeedMoreData && read.IsCompleted))
                {
                    run.WroteNothing = buffer.IsEmpty;
                    error ??= buffer.IsEmpty
                        ? "the script wrote nothing to stdout"
                        : "the script's output ended before the empty line that ends its headers";
                    return new CgiResult(CgiOutcome.InvalidResponse) { Error = error };
                }
                if (status == OperationStatus.NeedMoreData)
                {
                    stdout.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                buffer = buffer.Slice(reader.Position);
                if (head!.Kind != CgiResponseKind.LocalRedirect)
                {
                    await run.Sink.StartAsync(head, run.Token);
                    run.Started = true;
                }
            }
            // A local redirect's body, and a client redirect's without a Status, are the server's to write: the
            // script's is read and dropped, so it can finish writing it.
            if (head!.Kind is CgiResponseKind.Document or CgiResponseKind.ClientRedirectWithDocument)
            {
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    if (!await run.Sink.WriteAsync(segment, run.Token))
                    {
                        run.Gone = true;
                        await run.Stop.CancelAsync();
                        run.Token.ThrowIfCancellationRequested();
                    }
                }
            }
            stdout.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                return head.Kind == CgiResponseKind.LocalRedirect
                    ? new CgiResult(CgiOutcome.LocalRedirect) { LocalRedirect = head.Location }
                    : new CgiResult(CgiOutcome.Completed) { ResponseStarted = true };
            }
        }
    }

    /// <summary>Copies the body to the script's stdin, then closes it so the script sees end of file. A script that
    /// exits without reading its input is no error (EPIPE); a body that cannot be read stops the run.</summary>
    private static async Task FeedStdinAsync(Process process, Stream? body, Run run)
    {
        Stream stdin = process.StandardInput.BaseStream;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (body is not null)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, run.Token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    run.BodyError = exception;
                    run.Gone = true;
                    await run.Stop.CancelAsync();
                    return;
                }
                if (read == 0)
                {
                    break;
                }
                await stdin.WriteAsync(buffer.AsMemory(0, read), run.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The script closed its stdin or exited, or the run is over.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task LogStderrAsync(Process process, string script)
    {
        try
        {
            // Read to the end, not to a cancellation: once the script's group is gone, end of file comes.
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                if (line.Length > Options.MaxLoggedLineLength)
                {
                    line = line[..Options.MaxLoggedLineLength] + "…";
                }
                LogStderr(logger, script, line);
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // The run ended and the process was disposed while a background child still held stderr.
        }
    }

    /// <summary>The state one run shares between its stdout, stdin and stderr loops.</summary>
    private sealed class Run(Process process, ICgiResponseSink sink, CancellationTokenSource stop)
    {
        public Process Process { get; } = process;

        public ICgiResponseSink Sink { get; } = sink;

        public CancellationTokenSource Stop { get; } = stop;

        public CancellationToken Token => Stop.Token;

        public bool Started { get; set; }

        /// <summary>The script's stdout ended before it wrote a byte.</summary>
        public bool WroteNothing { get; set; }

        /// <summary>The client went away or its body could not be read.</summary>
        public bool Gone { get; set; }

        /// <summary>Why the body could not be read.</summary>
        public Exception? BodyError { get; set; }
    }
}
