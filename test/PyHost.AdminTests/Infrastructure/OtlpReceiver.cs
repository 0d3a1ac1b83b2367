using System.Net;

namespace PyHost.AdminTests.Infrastructure;

/// <summary>One request the receiver got: its path, content type and body.</summary>
public sealed record OtlpExport(string Path, string? ContentType, byte[] Body);

/// <summary>
/// An OTLP/HTTP collector reduced to what a test needs: it listens on a loopback port, answers every POST with 200 and
/// keeps the bodies (OTLP/HTTP, protobuf encoding: POST /v1/traces, /v1/metrics).
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<OtlpExport> _exports = [];
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = PyHostServer.FreePort(IPAddress.Loopback);
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(ReceiveAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<OtlpExport> Exports
    {
        get
        {
            lock (_exports)
            {
                return _exports.ToList();
            }
        }
    }

    private async Task ReceiveAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            lock (_exports)
            {
                _exports.Add(new OtlpExport(context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
