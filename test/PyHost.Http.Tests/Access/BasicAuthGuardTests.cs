using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using PyHost.Configuration.Model;
using PyHost.Http.Access.BasicAuth;
using PyHost.Http.Forwarding;
using PyHost.Http.Tests.Infrastructure;

namespace PyHost.Http.Tests.Access;

/// <summary>Basic authentication on a real Kestrel front, with a password file from Debian's htpasswd.</summary>
public sealed class BasicAuthGuardTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"pyhost-users-{Guid.NewGuid():N}.htpasswd");
    private readonly ListLoggerFactory _logs = new();
    private TestKestrel _front = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        foreach (var (flag, user, password) in new[] { ("-cbB", "alice", "wonder land"), ("-bm", "bob", "bobs-secret"), ("-bB", "zoë", "pässwort") })
        {
            using Process process = Process.Start(new ProcessStartInfo("htpasswd", [flag, _file, user, password]) { RedirectStandardError = true })!;
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
        }
        var guard = new BasicAuthGuard(new BasicAuthConfig { Htpasswd = _file, Realm = "Staff \"only\"" },
            HtpasswdFile.Load(_file, _logs.CreateLogger("access")), _logs.CreateLogger("access"));
        _front = await TestKestrel.StartAsync(async context =>
        {
            RequestOriginFeature.Attach(context, TrustedProxies.None, PyHost.Configuration.Model.ForwardedHeaderStyle.None);
            if (await guard.AdmitAsync(context))
            {
                await context.Response.WriteAsync("hello " + context.Features.Get<AuthenticatedUser>()!.Name);
            }
        });
        _client = new HttpClient { BaseAddress = new Uri(_front.Url) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _front.DisposeAsync();
        File.Delete(_file);
    }

    private async Task<HttpResponseMessage> GetAsync(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/private");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return await _client.SendAsync(request);
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public async Task WithoutCredentialsTheAnswerIs401WithTheRealm()
    {
        using HttpResponseMessage response = await GetAsync(null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic realm=\"Staff \\\"only\\\"\", charset=\"UTF-8\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains("<h1>401 Unauthorized</h1>", await response.Content.ReadAsStringAsync());
        Assert.Empty(_logs.Lines);   // a browser's first request carries none: nothing to report
    }

    [Theory]
    [InlineData("alice", "wonder land")]
    [InlineData("bob", "bobs-secret")]
    [InlineData("zoë", "pässwort")]
    public async Task EachUserGetsInWithTheirPassword(string user, string password)
    {
        using HttpResponseMessage response = await GetAsync(Basic(user, password));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello " + user, await response.Content.ReadAsStringAsync());
        using HttpResponseMessage again = await GetAsync(Basic(user, password).Replace("Basic", "bASIC"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);   // the scheme is case-insensitive (RFC 9110 §11.1)
    }

    [Theory]
    [InlineData("alice", "wonder lan", "wrong password")]
    [InlineData("mallory", "wonder land", "no such user")]
    public async Task AFailedAttemptIs401AndIsLoggedWithoutThePassword(string user, string password, string reason)
    {
        using HttpResponseMessage response = await GetAsync(Basic(user, password));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        string line = Assert.Single(_logs.Lines);
        Assert.EndsWith($"Basic auth failed for user '{user}' from 127.0.0.1 on /private (realm \"Staff \"only\"\"): {reason}", line);
        Assert.DoesNotContain(password, line);
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("Basic !!!not-base64")]
    [InlineData("Basic bm9jb2xvbg==")]   // "nocolon"
    public async Task AMalformedAuthorizationHeaderIs401(string header)
    {
        using HttpResponseMessage response = await GetAsync(header);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(_logs.Lines, line => line.EndsWith("malformed Authorization header", StringComparison.Ordinal));
    }
}
