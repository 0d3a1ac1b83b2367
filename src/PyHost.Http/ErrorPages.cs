using System.Text;
using Microsoft.AspNetCore.Http;
using PyHost.Protocol;
using PyHost.Workers.Dispatch;

namespace PyHost.Http;

/// <summary>The short pages the front answers with when the app cannot: what happened, in one sentence.</summary>
public static class ErrorPages
{
    public static string Explain(DispatchOutcome outcome) => outcome switch
    {
        DispatchOutcome.QueueFull => "Every worker is busy and the wait queue is full. Try again in a moment.",
        DispatchOutcome.ShuttingDown => "The server is shutting down.",
        DispatchOutcome.WorkerDied => "The application worker died while handling this request.",
        DispatchOutcome.Timeout => "The application did not answer in time.",
        DispatchOutcome.InvalidResponse => "The application sent an invalid response; the server log says why.",
        DispatchOutcome.RequestBodyTooLarge => "The request body is larger than this server accepts.",
        DispatchOutcome.BufferSpaceExhausted => "The server has no room to buffer this request body right now. Try again in a moment.",
        _ => "The application failed while sending its response.",
    };

    public static byte[] Render(int statusCode, string explanation)
    {
        string title = $"{statusCode} {ReasonPhrases.For(statusCode)}";
        return Encoding.UTF8.GetBytes(
            $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n" +
            $"<body><h1>{title}</h1>\n<p>{explanation}</p>\n<hr><address>pyhost</address></body></html>\n");
    }

    public static Task WriteAsync(HttpContext context, DispatchOutcome outcome) =>
        WriteAsync(context, outcome.ErrorStatusCode(), Explain(outcome));

    public static async Task WriteAsync(HttpContext context, int status, string explanation)
    {
        byte[] page = Render(status, System.Net.WebUtility.HtmlEncode(explanation));
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = page.Length;
        if (status == 503)
        {
            response.Headers.RetryAfter = "1";
        }
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(page);
        }
    }
}
