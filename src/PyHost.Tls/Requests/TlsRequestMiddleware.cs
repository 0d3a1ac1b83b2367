using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using PyHost.Tls.Acme;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Requests;

/// <summary>
/// What TLS adds to requests, before any route: the answers to ACME HTTP-01 challenges (on every listener: the CA
/// asks on port 80, and may follow a redirect), the redirect of an <c>https_redirect</c> listener, and
/// Strict-Transport-Security for sites that ask for it — on HTTPS responses only (RFC 6797 §7.2: a browser ignores it
/// over plain HTTP, and sending it there would let anyone on the path pin a site to HTTPS).
/// </summary>
public sealed class TlsRequestMiddleware(ChallengeResponses challenges, HostTable<string> hsts, string? defaultSiteHsts)
{
    /// <summary>RFC 8555 §8.3: the path the CA fetches a key authorization from.</summary>
    public const string ChallengePrefix = "/.well-known/acme-challenge/";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        HttpRequest request = context.Request;
        if (challenges.HasHttpTokens && request.Path.StartsWithSegments(ChallengePrefix.TrimEnd('/'), StringComparison.Ordinal)
            && challenges.TryGetHttp(request.Path.Value![ChallengePrefix.Length..], out string? keyAuthorization))
        {
            await AnswerChallengeAsync(context, keyAuthorization!);
            return;
        }
        if (!request.IsHttps)
        {
            if (context.Features.Get<HttpsRedirectFeature>() is { } redirect)
            {
                await RedirectAsync(context, redirect);
                return;
            }
            await next(context);
            return;
        }
        if (hsts.Count > 0 || defaultSiteHsts is not null)
        {
            string? value = hsts.Find(request.Host.Host) ?? defaultSiteHsts;
            if (value is not null)
            {
                // After the app: one it set itself is kept, not doubled.
                context.Response.OnStarting(static state =>
                {
                    var (response, header) = ((HttpResponse, string))state;
                    if (!response.Headers.ContainsKey(HeaderNames.StrictTransportSecurity))
                    {
                        response.Headers.StrictTransportSecurity = header;
                    }
                    return Task.CompletedTask;
                }, (context.Response, value));
            }
        }
        await next(context);
    }

    private static Task AnswerChallengeAsync(HttpContext context, string keyAuthorization)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/plain";
        byte[] body = Encoding.ASCII.GetBytes(keyAuthorization);
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// 308 (RFC 9110 §15.4.9) keeps the method and body, so a form POST to http:// is not turned into a GET; the
    /// target is the request's own, byte for byte.
    /// </summary>
    private static Task RedirectAsync(HttpContext context, HttpsRedirectFeature redirect)
    {
        HttpResponse response = context.Response;
        HostString host = context.Request.Host;
        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "/";
        if (!host.HasValue || !target.StartsWith('/'))
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            return WriteAsync(response, "400 Bad Request", "This address only redirects to HTTPS, and the request has no Host header or path to redirect to.");
        }
        string port = redirect.HttpsPort is { } number ? ":" + number.ToString(CultureInfo.InvariantCulture) : "";
        string location = $"https://{host.Host}{port}{target}";
        response.StatusCode = StatusCodes.Status308PermanentRedirect;
        response.Headers.Location = location;
        return WriteAsync(response, "308 Permanent Redirect", $"This site is served over HTTPS: {location}");
    }

    private static Task WriteAsync(HttpResponse response, string title, string text)
    {
        string page = $"<!DOCTYPE html>\n<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{System.Net.WebUtility.HtmlEncode(text)}</p></body></html>\n";
        byte[] body = Encoding.UTF8.GetBytes(page);
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(response.HttpContext.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }
}
