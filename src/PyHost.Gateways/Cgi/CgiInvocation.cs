namespace PyHost.Gateways.Cgi;

/// <summary>One run of a CGI script (RFC 3875 §4): the script, its meta-variables and the request body.</summary>
public sealed class CgiInvocation(string scriptPath, IReadOnlyList<KeyValuePair<string, string>> metaVariables)
{
    /// <summary>The executable to run: any program, with a #! line or compiled.</summary>
    public string ScriptPath { get; } = scriptPath;

    /// <summary>
    /// The whole environment of the script (§4.1: GATEWAY_INTERFACE, REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, HTTP_*,
    /// …). Values are latin-1 native strings, each char one byte of the request, as everywhere in PyHost; the
    /// script receives those bytes. Nothing of PyHost's own environment is passed, except a default PATH.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> MetaVariables { get; } = metaVariables;

    /// <summary>The request body, fed to the script's stdin (§4.2); null for none.</summary>
    public Stream? RequestBody { get; init; }

    /// <summary>Where the script runs; by default its own directory, as Apache and lighttpd do.</summary>
    public string? WorkingDirectory { get; init; }
}

/// <summary>Where a script's response goes: the listener that serves the client.</summary>
public interface ICgiResponseSink
{
    /// <summary>The response head, once the script's headers are complete. Not called for a local redirect.</summary>
    ValueTask StartAsync(CgiResponse head, CancellationToken cancellationToken);

    /// <summary>A chunk of the body, valid only until the returned task completes; false when the client is gone.</summary>
    ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);
}

public enum CgiOutcome
{
    /// <summary>The script's whole response went to the sink and the script exited.</summary>
    Completed,

    /// <summary>The script answered with a local redirect (RFC 3875 §6.2.2): nothing went to the sink, and the
    /// caller handles <see cref="CgiResult.LocalRedirect"/> as a new GET request.</summary>
    LocalRedirect,

    /// <summary>The script does not exist, is not executable, or could not be started (500).</summary>
    NotRunnable,

    /// <summary>The script's output is not a CGI response, or it ended before its headers did (500, as Apache).</summary>
    InvalidResponse,

    /// <summary>The script ran past the timeout; its process group was killed (504 when nothing was sent).</summary>
    TimedOut,

    /// <summary>The client went away or its body could not be read; the process group was killed.</summary>
    ClientGone,
}

/// <summary>How a CGI run ended.</summary>
public sealed record CgiResult(CgiOutcome Outcome)
{
    /// <summary>The sink's <see cref="ICgiResponseSink.StartAsync"/> was called: an error can only cut the body short.</summary>
    public bool ResponseStarted { get; init; }

    /// <summary>For <see cref="CgiOutcome.LocalRedirect"/>: the path and query to serve instead.</summary>
    public string? LocalRedirect { get; init; }

    /// <summary>Why the run failed, for the error log.</summary>
    public string? Error { get; init; }

    /// <summary>The script's exit status, when it exited by itself.</summary>
    public int? ExitCode { get; init; }

    /// <summary>For <see cref="CgiOutcome.ClientGone"/>: why the request body could not be read, when that ended the
    /// run. The front may still answer a client that is there (a body over the limit, cut short, or too slow).</summary>
    public Exception? RequestBodyError { get; init; }
}
