using System.Text;
using Microsoft.Extensions.Logging;
using PyHost.Gateways.Cgi;

namespace PyHost.Gateways.Tests.Cgi;

/// <summary>A directory of CGI scripts written by a test, executable, deleted afterwards.</summary>
internal sealed class CgiScripts : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-cgi-").FullName;

    public string Write(string name, string text, bool executable = true)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        if (executable)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>A response sink that keeps what it is given, as a listener would send it.</summary>
internal sealed class RecordingSink : ICgiResponseSink
{
    private readonly MemoryStream _body = new();

    public CgiResponse? Head { get; private set; }

    public int Chunks { get; private set; }

    /// <summary>After this many body bytes the sink says the client is gone.</summary>
    public long GoneAfter { get; init; } = long.MaxValue;

    public byte[] Body => _body.ToArray();

    public string BodyText => Encoding.UTF8.GetString(Body);

    public ValueTask StartAsync(CgiResponse head, CancellationToken cancellationToken)
    {
        Assert.Null(Head);
        Head = head;
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        Assert.NotNull(Head);
        Chunks++;
        _body.Write(chunk.Span);
        return ValueTask.FromResult(_body.Length < GoneAfter);
    }
}

/// <summary>Keeps the runner's log lines.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<string> _lines = [];

    public List<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
