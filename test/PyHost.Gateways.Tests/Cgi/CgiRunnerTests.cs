using System.Diagnostics;
using System.Text;
using PyHost.Gateways.Cgi;

namespace PyHost.Gateways.Tests.Cgi;

public sealed class CgiRunnerTests : IDisposable
{
    private readonly CgiScripts _scripts = new();
    private readonly ListLogger<CgiRunner> _logger = new();

    public void Dispose() => _scripts.Dispose();

    private static readonly KeyValuePair<string, string>[] MetaVariables =
    [
        new("GATEWAY_INTERFACE", "CGI/1.1"), new("REQUEST_METHOD", "POST"), new("SCRIPT_NAME", "/cgi-bin/echo"),
        new("PATH_INFO", "/caf\u00C3\u00A9"), new("QUERY_STRING", "a=1&b=%20"), new("CONTENT_LENGTH", "11"),
        new("CONTENT_TYPE", "text/plain"), new("SERVER_PROTOCOL", "HTTP/1.1"), new("HTTP_X_TEST", "yes"),
    ];

    private const string PythonEcho = """
        #!/usr/bin/python3
        import os, sys
        body = sys.stdin.buffer.read(int(os.environ.get("CONTENT_LENGTH") or 0))
        out = sys.stdout.buffer
        out.write(b"Status: 201 Made\r\nContent-Type: text/plain\r\nX-Pid: %d\r\n\r\n" % os.getpid())
        for key in ("GATEWAY_INTERFACE", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "HTTP_X_TEST", "PYHOST_SECRET", "PATH"):
            out.write(key.encode() + b"=" + os.environb.get(key.encode(), b"(unset)") + b"\n")
        out.write(b"cwd=" + os.getcwd().encode() + b"\n")
        out.write(b"body=" + body + b"\n")
        """;

    private const string ShellEcho = """
        #!/bin/sh
        printf 'Content-Type: text/plain\n\n'
        printf 'method=%s path=%s\n' "$REQUEST_METHOD" "$PATH_INFO"
        cat
        """;

    [Fact]
    public async Task APythonScriptGetsItsMetaVariablesAndBodyAndItsResponseReachesTheSink()
    {
        string script = _scripts.Write("echo.py", PythonEcho);
        var sink = new RecordingSink();
        Environment.SetEnvironmentVariable("PYHOST_SECRET", "must not leak");

        CgiResult result = await Runner().RunAsync(Invocation(script, "hello world"), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(201, sink.Head!.StatusCode);
        Assert.Equal("Made", sink.Head.ReasonPhrase);
        Assert.Equal("text/plain", sink.Head.ContentType);
        string[] lines = sink.BodyText.Split('\n');
        Assert.Contains("GATEWAY_INTERFACE=CGI/1.1", lines);
        Assert.Contains("REQUEST_METHOD=POST", lines);
        Assert.Contains("PATH_INFO=/caf\u00E9", lines);   // the request's UTF-8 bytes, intact
        Assert.Contains("QUERY_STRING=a=1&b=%20", lines);
        Assert.Contains("HTTP_X_TEST=yes", lines);
        Assert.Contains("PYHOST_SECRET=(unset)", lines);
        Assert.Contains("PATH=/usr/local/bin:/usr/bin:/bin", lines);
        Assert.Contains("cwd=" + _scripts.Directory, lines);
        Assert.Contains("body=hello world", lines);
    }

    [Fact]
    public async Task AShellScriptStreamsItsStdinBack()
    {
        string script = _scripts.Write("echo.sh", ShellEcho);
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(Invocation(script, "hello world"), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal(200, sink.Head!.StatusCode);
        Assert.Equal("method=POST path=/caf\u00E9\nhello world", sink.BodyText);
    }

    [Fact]
    public async Task ABigBodyGoesInAndABigResponseComesOutInChunks()
    {
        string script = _scripts.Write("cat.sh", "#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\n\\n'\ncat\ncat /dev/zero | head -c 3000000\n");
        byte[] body = Enumerable.Range(0, 2_000_000).Select(i => (byte)(i % 253)).ToArray();
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(
            new CgiInvocation(script, MetaVariables) { RequestBody = new MemoryStream(body) }, sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal(5_000_000, sink.Body.Length);
        Assert.Equal(body, sink.Body[..2_000_000]);
        Assert.True(sink.Chunks > 10, $"{sink.Chunks} chunks: the body is streamed, not gathered");
    }

    [Fact]
    public async Task AScriptThatDoesNotReadItsBodyStillAnswers()
    {
        string script = _scripts.Write("ignore.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nignored'\n");
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(
            new CgiInvocation(script, MetaVariables) { RequestBody = new MemoryStream(new byte[1_000_000]) }, sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal("ignored", sink.BodyText);
    }

    [Fact]
    public async Task ALocalRedirectIsReportedAndNothingReachesTheSink()
    {
        string script = _scripts.Write("local.sh", "#!/bin/sh\nprintf 'Location: /elsewhere?x=1\\n\\nignored body'\n");
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.LocalRedirect, result.Outcome);
        Assert.Equal("/elsewhere?x=1", result.LocalRedirect);
        Assert.Null(sink.Head);
    }

    [Fact]
    public async Task AClientRedirectIsA302WithoutTheScriptsBody()
    {
        string script = _scripts.Write("client.sh", "#!/bin/sh\nprintf 'Location: https://example.com/\\n\\nscript body'\n");
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal(CgiResponseKind.ClientRedirect, sink.Head!.Kind);
        Assert.Equal(302, sink.Head.StatusCode);
        Assert.Empty(sink.Body);
    }

    [Fact]
    public async Task StderrLinesGoToTheLogAndANonZeroExitIsLogged()
    {
        string script = _scripts.Write("warn.sh", "#!/bin/sh\necho 'first problem' >&2\nprintf 'Content-Type: text/plain\\n\\nok'\necho 'second problem' >&2\nexit 3\n");
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.Completed, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("ok", sink.BodyText);
        Assert.Contains($"Warning: {script}: first problem", _logger.Lines);
        Assert.Contains($"Warning: {script}: second problem", _logger.Lines);
        Assert.Contains($"Information: CGI script {script} exited with status 3", _logger.Lines);
    }

    [Fact]
    public async Task ATimeoutKillsTheScriptAndEverythingItStarted()
    {
        string pidFile = Path.Combine(_scripts.Directory, "child.pid");
        string script = _scripts.Write("hang.sh", $"#!/bin/sh\nsleep 300 &\necho $! > {pidFile}\nprintf 'Content-Type: text/plain\\n\\npartial'\nsleep 300\n");
        var sink = new RecordingSink();
        var runner = Runner(TimeSpan.FromSeconds(1));

        var clock = Stopwatch.StartNew();
        CgiResult result = await runner.RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.TimedOut, result.Outcome);
        Assert.True(result.ResponseStarted);
        Assert.Equal("partial", sink.BodyText);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the run ended with the timeout, not with the script");
        int child = int.Parse(File.ReadAllText(pidFile));
        Assert.True(await Gone(child), $"the script's background child {child} outlived the timeout");
        Assert.Contains(_logger.Lines, line => line.Contains("ran past 1 s; its process group was killed"));
    }

    [Fact]
    public async Task ATimeoutBeforeTheHeadersStartsNothing()
    {
        string script = _scripts.Write("silent.sh", "#!/bin/sh\nsleep 300\n");
        var sink = new RecordingSink();

        CgiResult result = await Runner(TimeSpan.FromMilliseconds(500)).RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.TimedOut, result.Outcome);
        Assert.False(result.ResponseStarted);
        Assert.Null(sink.Head);
    }

    [Fact]
    public async Task AClientThatGoesAwayStopsTheScript()
    {
        string script = _scripts.Write("endless.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nexec cat /dev/zero\n");
        var sink = new RecordingSink { GoneAfter = 100_000 };

        CgiResult result = await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.ClientGone, result.Outcome);
        Assert.True(result.ResponseStarted);
    }

    [Fact]
    public async Task ACancelledRequestStopsTheScript()
    {
        string script = _scripts.Write("wait.sh", "#!/bin/sh\nsleep 300\n");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        CgiResult result = await Runner().RunAsync(Invocation(script), new RecordingSink(), cancel.Token);

        Assert.Equal(CgiOutcome.ClientGone, result.Outcome);
    }

    [Fact]
    public async Task ABodyThatCannotBeReadStopsTheScript()
    {
        string script = _scripts.Write("reader.sh", "#!/bin/sh\ncat > /dev/null\nprintf 'Content-Type: text/plain\\n\\ndone'\n");

        CgiResult result = await Runner().RunAsync(
            new CgiInvocation(script, MetaVariables) { RequestBody = new FailingStream() }, new RecordingSink(), CancellationToken.None);

        Assert.Equal(CgiOutcome.ClientGone, result.Outcome);
    }

    public static TheoryData<string, string> BadOutputs => new()
    {
        { "#!/bin/sh\necho 'Hello, no headers'\n", "line 1 of the script's headers is not a header field" },
        { "#!/bin/sh\nprintf 'Content-Type: text/plain\\n'\n", "ended before the empty line" },
        { "#!/bin/sh\nexit 1\n", "the script wrote nothing to stdout" },
        { "#!/bin/sh\nhead -c 100000 /dev/zero | tr '\\0' x\n", "longer than 32768 bytes" },
    };

    [Theory]
    [MemberData(nameof(BadOutputs))]
    public async Task OutputThatIsNotACgiResponseIsAnInvalidResponseSayingWhy(string text, string expectedError)
    {
        string script = _scripts.Write("bad.sh", text);
        var sink = new RecordingSink();

        CgiResult result = await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        Assert.Equal(CgiOutcome.InvalidResponse, result.Outcome);
        Assert.Contains(expectedError, result.Error);
        Assert.Null(sink.Head);
        Assert.Contains(_logger.Lines, line => line.Contains(expectedError));
    }

    [Fact]
    public async Task AMissingScriptIsNotRunnable()
    {
        CgiResult result = await Runner().RunAsync(Invocation(Path.Combine(_scripts.Directory, "nope.sh")), new RecordingSink(), CancellationToken.None);

        Assert.Equal(CgiOutcome.NotRunnable, result.Outcome);
        Assert.EndsWith("nope.sh does not exist", result.Error);
    }

    [Fact]
    public async Task AScriptWithoutTheExecuteBitIsNotRunnableWithAHint()
    {
        string script = _scripts.Write("plain.sh", ShellEcho, executable: false);

        CgiResult result = await Runner().RunAsync(Invocation(script), new RecordingSink(), CancellationToken.None);

        Assert.Equal(CgiOutcome.NotRunnable, result.Outcome);
        Assert.Contains("is not executable (chmod +x it", result.Error);
    }

    [Fact]
    public async Task AScriptWhoseInterpreterIsMissingIsNotRunnableAndTheReasonIsLogged()
    {
        string script = _scripts.Write("old.py", "#!/usr/bin/python2.4\nprint('Content-Type: text/plain')\n");

        CgiResult result = await Runner().RunAsync(Invocation(script), new RecordingSink(), CancellationToken.None);

        Assert.Equal(CgiOutcome.NotRunnable, result.Outcome);
        Assert.Contains("could not be run (is its #! line the path of an interpreter that exists?)", result.Error);
        Assert.Contains(_logger.Lines, line => line.Contains(script) && line.Contains("No such file or directory"));
    }

    [Fact]
    public async Task EachScriptRunsInAProcessGroupOfItsOwn()
    {
        string script = _scripts.Write("group.sh", "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n%s %s' $$ $(ps -o pgid= -p $$)\n");
        var sink = new RecordingSink();

        await Runner().RunAsync(Invocation(script), sink, CancellationToken.None);

        string[] ids = sink.BodyText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ids[0], ids[1]);
        Assert.NotEqual(Environment.ProcessId.ToString(), ids[0]);
    }

    private CgiRunner Runner(TimeSpan? timeout = null)
        => new(new CgiRunnerOptions { Timeout = timeout ?? TimeSpan.FromSeconds(30) }, _logger);

    private static CgiInvocation Invocation(string script, string? body = null)
        => new(script, MetaVariables) { RequestBody = body is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(body)) };

    private static async Task<bool> Gone(int pid)
    {
        for (int i = 0; i < 100; i++)
        {
            if (!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z")
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("the client went away");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
