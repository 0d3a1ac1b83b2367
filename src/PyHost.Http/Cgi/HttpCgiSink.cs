using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using PyHost.Gateways.Cgi;

namespace PyHost.Http.Cgi;

/// <summary>A CGI script's response, as the runner reads it, written to the HTTP client.</summary>
internal sealed class HttpCgiSink(HttpContext context) : ICgiResponseSink
{
    private readonly bool _isHead = HttpMethods.IsHead(context.Request.Method);

    public long BodyBytesSent { get; private set; }

    public async ValueTask StartAsync(CgiResponse head, CancellationToken cancellationToken)
    {
        HttpResponse response = context.Response;
        response.StatusCode = head.StatusCode;
        if (head.ReasonPhrase is not null)
        {
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = head.ReasonPhrase;
        }
        foreach (var (name, value) in head.Headers)
        {
            response.Headers.Append(name, value);
        }
        if (head.Kind == CgiResponseKind.ClientRedirect)
        {
            // RFC 3875 §6.2.3: the server answers the redirect itself, with its own short note (RFC 9110 §15.4.3),
            // and the script's body is dropped.
            string target = System.Net.WebUtility.HtmlEncode(head.Location ?? "");
            byte[] page = ErrorPages.Render(head.StatusCode, $"The document has moved <a href=\"{target}\">here</a>.");
            response.ContentType = "text/html; charset=utf-8";
            response.ContentLength = page.Length;
            if (!_isHead)
            {
                await response.Body.WriteAsync(page, cancellationToken);
                BodyBytesSent += page.Length;
            }
        }
    }

    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (_isHead)
        {
            return true;
        }
        try
        {
            FlushResult result = await context.Response.BodyWriter.WriteAsync(chunk, cancellationToken);
            BodyBytesSent += chunk.Length;
            return !result.IsCompleted && !result.IsCanceled;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // The client left, or the script wrote more than its Content-Length.
            return false;
        }
    }
}
