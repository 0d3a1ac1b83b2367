using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PyHost.Http.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (a free port) or on a unix socket, answering with a request delegate: the
/// upstream servers and the front of the component tests.
/// </summary>
public sealed class TestKestrel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestKestrel(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>"http://127.0.0.1:PORT" (no trailing slash); for a unix socket, "unix:PATH".</summary>
    public string Url { get; }

    public int Port => new Uri(Url).Port;

    public static Task<TestKestrel> StartAsync(RequestDelegate handler, string? unixSocket = null, Action<WebApplication>? configure = null,
        HttpProtocols protocols = HttpProtocols.Http1)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            if (unixSocket is not null)
            {
                kestrel.ListenUnixSocket(unixSocket, listen => listen.Protocols = protocols);
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols);
            }
        });
        WebApplication app = builder.Build();
        configure?.Invoke(app);
        app.Run(handler);
        return StartAsync(app, unixSocket);
    }

    private static async Task<TestKestrel> StartAsync(WebApplication app, string? unixSocket)
    {
        await app.StartAsync();
        string url = unixSocket is not null
            ? $"unix:{unixSocket}"
            : app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return new TestKestrel(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>A port on 127.0.0.1 nothing listens on: connecting is refused at once.</summary>
public static class ClosedPort
{
    public static int Find()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;   // bound, never listened on, closed on return
    }
}

/// <summary>Log lines kept in memory, for tests that check what was logged.</summary>
public sealed class ListLoggerFactory : ILoggerFactory, ILoggerProvider
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines)
            {
                owner._lines.Add($"{logLevel} {category}: {formatter(state, exception)}");
            }
        }
    }
}
