using System.ComponentModel;
using System.Diagnostics;
using PyHost.Workers.Channel;
using PyHost.Workers.Observability;
using PyHost.Workers.Posix;

namespace PyHost.Workers.Supervision;

// Starting workers: processes of their own, or forks of a --preload zygote.
public sealed partial class Arbiter
{
    /// <summary>Starts one worker: a process of its own, or with --preload a fork of the generation's zygote.
    /// False when none could start yet (the zygote is still importing the app).</summary>
    private bool Spawn()
    {
        if (!_options.Preload)
        {
            StartProcess(zygote: false);
            return true;
        }
        WorkerProcess? zygote = _workers.Values.FirstOrDefault(w => w.IsZygote && w.Generation == _generation && w.State != WorkerState.Exited && !w.Retiring);
        if (zygote is null)
        {
            StartProcess(zygote: true);
            return false;
        }
        if (zygote.State != WorkerState.Ready)
        {
            return false;
        }
        int id = ++_nextWorkerId;
        var worker = new WorkerProcess(id, _generation, null, Environment.TickCount64, RequestLimit()) { Zygote = zygote, AppName = _options.AppName };
        lock (_workers)
        {
            _workers[id] = worker;
        }
        try
        {
            zygote.Channels[0].SendControlFrame(Protocol.FrameType.Fork, System.Text.Encoding.ASCII.GetBytes($"{id}:{worker.Token}"));
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            lock (_workers)
            {
                _workers.Remove(id);
            }
            return false;   // the zygote is gone; its exit starts another
        }
        return true;
    }

    private long RequestLimit() =>
        _options.MaxRequests <= 0 ? 0 : _options.MaxRequests + Random.Shared.NextInt64(_options.MaxRequestsJitter + 1);

    /// <summary>An old generation's zygote stays while workers it forked live: they exit when their parent does.</summary>
    private void RetireDrainedZygotes()
    {
        foreach (WorkerProcess zygote in _workers.Values.Where(w => w.IsZygote && w.Generation != _generation && !w.Retiring && w.State != WorkerState.Exited).ToList())
        {
            if (!_workers.Values.Any(w => w.Zygote == zygote && w.State != WorkerState.Exited))
            {
                Retire(zygote, RetireCause.Reload, "its generation has drained");
            }
        }
    }

    private void StartProcess(bool zygote)
    {
        int id = ++_nextWorkerId;
        var startInfo = new ProcessStartInfo(_options.Python)
        {
            WorkingDirectory = _options.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-m");
        startInfo.ArgumentList.Add("pyhost_worker");
        foreach (var (key, value) in _options.EnvironmentVariables)
        {
            startInfo.Environment[key] = value;
        }
        string? inheritedPythonPath = Environment.GetEnvironmentVariable("PYTHONPATH");
        startInfo.Environment["PYTHONPATH"] = string.IsNullOrEmpty(inheritedPythonPath)
            ? _runtime.PythonPackageRoot
            : _runtime.PythonPackageRoot + Path.PathSeparator + inheritedPythonPath;
        startInfo.Environment["PYTHONUNBUFFERED"] = "1";
        startInfo.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");   // the front's own setting
        startInfo.Environment["PYHOST_SOCKET"] = _runtime.WorkerSocketPathFor(_options.AppName);
        startInfo.Environment["PYHOST_WORKER_ID"] = id.ToString();
        startInfo.Environment["PYHOST_APP"] = _options.App;
        startInfo.Environment["PYHOST_PYTHONPATH"] = string.Join(Path.PathSeparator, _options.PythonPath);
        startInfo.Environment["PYHOST_DEBUG"] = _options.Debug ? "1" : "0";
        startInfo.Environment["PYHOST_MULTIPROCESS"] = Math.Max(_options.Workers, _options.WorkersMax) > 1 ? "1" : "0";
        startInfo.Environment["PYHOST_THREADS"] = _options.Threads.ToString();
        startInfo.Environment["PYHOST_MAX_MEMORY_MIB"] = _options.MaxWorkerMemoryMib.ToString();
        SetInterfaceEnvironment(startInfo.Environment);
        if (zygote)
        {
            startInfo.Environment["PYHOST_ZYGOTE"] = "1";
        }
        if (_options.User is { } user)
        {
            startInfo.Environment["PYHOST_USER"] = user;
        }
        if (_options.Group is { } group)
        {
            startInfo.Environment["PYHOST_GROUP"] = group;
        }
        if (_options.ProcessName is { } processName)
        {
            startInfo.Environment["PYHOST_PROC_NAME"] = processName;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var worker = new WorkerProcess(id, _generation, process, Environment.TickCount64, zygote ? 0 : RequestLimit()) { IsZygote = zygote, AppName = _options.AppName };
        startInfo.Environment["PYHOST_TOKEN"] = worker.Token;
        process.Exited += (_, _) => Post(new WorkerExited(worker, null));

        // Known before it starts: a fast worker's HELLO may arrive before Start() returns.
        lock (_workers)
        {
            _workers[id] = worker;
        }
        try
        {
            lock (DescriptorInheritance.ChildStart)
            {
                process.Start();
            }
        }
        catch (Win32Exception ex)
        {
            worker.State = WorkerState.Exited;
            BootFailure = $"cannot start {_options.Python}: {ex.Message}";
            LogCannotStart(ForApp, _options.Python, ex.Message);
            GiveUp(WorkerBootErrorExitCode);
            return;
        }
        worker.Pid = process.Id;
        process.StandardInput.Close();
        _ = WorkerOutputRelay.RunAsync(process.StandardOutput.BaseStream, worker, WorkerOutputStream.StandardOutput, _workerOutput);
        _ = WorkerOutputRelay.RunAsync(process.StandardError.BaseStream, worker, WorkerOutputStream.StandardError,
            new TracebackTap(_workerOutput, _tracebacks, worker.Id));
    }

    /// <summary>A zygote reports the exits of the workers it forked, which only it can wait for.</summary>
    private async Task ReadZygoteAsync(WorkerChannel channel)
    {
        try
        {
            while (await channel.ReadControlFrameAsync(CancellationToken.None) is { } frame)
            {
                if (frame.Header.Type == Protocol.FrameType.ChildExited
                    && System.Text.Encoding.ASCII.GetString(frame.Payload).Split(' ') is [var pidText, var statusText]
                    && int.TryParse(pidText, out int pid) && int.TryParse(statusText, out int status))
                {
                    Post(new ForkedWorkerExited(pid, status < 0 ? 128 - status : status));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or Protocol.ProtocolException)
        {
            // The zygote is gone; its process exit is handled as any worker's.
        }
    }
}
