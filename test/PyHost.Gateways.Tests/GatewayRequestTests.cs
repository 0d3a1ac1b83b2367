using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using PyHost.Gateways.Tests.Infrastructure;

namespace PyHost.Gateways.Tests;

public class GatewayRequestTests
{
    public static TheoryData<string> RootRequests => Captures.Named(
        "nginx-uwsgi/get", "nginx-scgi/get", "nginx-fastcgi/get", "apache-uwsgi/get", "apache-scgi/get",
        "apache-fastcgi/get");

    [Theory]
    [MemberData(nameof(RootRequests))]
    public void EveryFrontServerGivesTheAppTheSameEnvironForTheSameRequest(string capture)
    {
        Dictionary<string, string> environ = CapturedVariables.Environ(capture);

        Assert.Equal("GET", environ["REQUEST_METHOD"]);
        Assert.Equal("", environ["SCRIPT_NAME"]);
        Assert.Equal("/hello/w\u00C3\u00B6rld", environ["PATH_INFO"]);
        Assert.Equal("x=1&y=%20", environ["QUERY_STRING"]);
        Assert.Equal("/hello/w%C3%B6rld?x=1&y=%20", environ["REQUEST_URI"]);
        Assert.Equal(environ["REQUEST_URI"], environ["RAW_URI"]);
        Assert.Equal("HTTP/1.1", environ["SERVER_PROTOCOL"]);
        Assert.Equal("http", environ["wsgi.url_scheme"]);
        Assert.Equal("127.0.0.1", environ["SERVER_NAME"]);
        Assert.Matches("^[0-9]+$", environ["SERVER_PORT"]);
        Assert.Equal("127.0.0.1", environ["REMOTE_ADDR"]);
        Assert.Equal("capture", environ["HTTP_USER_AGENT"]);
        Assert.Equal("a, b", environ["HTTP_X_DUP"]);
        Assert.False(environ.ContainsKey("CONTENT_LENGTH") && environ["CONTENT_LENGTH"] != "0");
        Assert.DoesNotContain("HTTP_CONTENT_LENGTH", environ.Keys);
        Assert.DoesNotContain("SCGI", environ.Keys);
    }

    [Theory]
    [InlineData("nginx-uwsgi/get", "a=1; b=2")]
    [InlineData("nginx-fastcgi/get", "a=1; b=2")]
    [InlineData("apache-uwsgi/get", "a=1, b=2")]
    [InlineData("lighttpd-fastcgi/get", "a=1; b=2")]
    public void RepeatedCookieHeadersAreJoinedAsTheHttpFrontJoinsThem(string capture, string expected)
    {
        // nginx sends each Cookie line as its own HTTP_COOKIE; Apache has joined them with ", " before we see them.
        Assert.Equal(expected, CapturedVariables.Environ(capture)["HTTP_COOKIE"]);
    }

    [Theory]
    [InlineData("nginx-uwsgi/mounted", "/app")]      // uwsgi_param SCRIPT_NAME /app; PATH_INFO is still /app/x/y
    [InlineData("nginx-scgi/mounted", "/app")]
    [InlineData("nginx-fastcgi/mounted", "/app")]    // fastcgi_split_path_info
    [InlineData("apache-uwsgi/mounted", "/app")]     // ProxyPass /app/ uwsgi://...
    [InlineData("lighttpd-fastcgi/mounted", "/app")] // fastcgi.server = ("/app" => ...)
    [InlineData("apache-fastcgi/mounted", "")]       // mod_proxy_fcgi puts the whole path in SCRIPT_NAME
    [InlineData("apache-scgi/mounted", "")]
    public void TheFrontServersMountPointBecomesScriptNameWhenItIsAPrefixOfThePath(string capture, string scriptName)
    {
        Dictionary<string, string> environ = CapturedVariables.Environ(capture);

        Assert.Equal(scriptName, environ["SCRIPT_NAME"]);
        Assert.Equal("/app/x/y", environ["SCRIPT_NAME"] + environ["PATH_INFO"]);
        Assert.Equal("q=1", environ["QUERY_STRING"]);
    }

    [Theory]
    [InlineData("/echo/w%C3%B6rld")]           // SetEnvIf Request_URI . proxy-scgi-pathinfo (or proxy-fcgi-pathinfo=1)
    [InlineData("/echo/w\u00C3\u00B6rld")]     // proxy-fcgi-pathinfo=unescape
    public void ApachesPathInfoBelowTheProxyPassPrefixGivesTheMountPoint(string pathInfo)
    {
        // What Apache 2.4 sends for ProxyPass /app/ scgi://host/ with the pathinfo variable set: SCRIPT_NAME is the
        // whole path, PATH_INFO the part below the prefix.
        var variables = CgiVariables.FromLatin1Pairs([
            new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/app/echo/w%C3%B6rld?x=1"),
            new("SCRIPT_NAME", "/app/echo/w\u00C3\u00B6rld"), new("PATH_INFO", pathInfo)]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        Dictionary<string, string> environ = Environ(request!);

        Assert.Equal("/app", environ["SCRIPT_NAME"]);
        Assert.Equal("/echo/w\u00C3\u00B6rld", environ["PATH_INFO"]);
    }

    [Theory]
    [InlineData("/hello/w\u00C3\u00B6rld")]   // the whole path, as nginx's uwsgi_params send it
    [InlineData("/other")]                    // not a suffix
    [InlineData("rld")]                       // a suffix, but not at a '/'
    public void APathInfoThatIsNotAProperSuffixAtASlashNamesNoMountPoint(string pathInfo)
    {
        var variables = CgiVariables.FromLatin1Pairs([
            new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/hello/w%C3%B6rld"), new("PATH_INFO", pathInfo)]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));

        Assert.Equal("", request!.GatewayScriptName);
    }

    [Theory]
    [InlineData("apache-fastcgi/mounted")]
    [InlineData("nginx-uwsgi/mounted")]
    [InlineData("lighttpd-scgi/mounted")]
    public void ARoutesMountPointOverridesWhatTheFrontServerSays(string capture)
    {
        Dictionary<string, string> environ = CapturedVariables.Environ(capture, scriptName: "/app/x");

        Assert.Equal("/app/x", environ["SCRIPT_NAME"]);
        Assert.Equal("/y", environ["PATH_INFO"]);
    }

    [Theory]
    [InlineData("/ap")]
    [InlineData("/other")]
    public void AMountPointThatIsNotAPrefixAtASlashIsIgnored(string scriptName)
    {
        Dictionary<string, string> environ = CapturedVariables.Environ("nginx-uwsgi/mounted", scriptName);

        Assert.Equal("", environ["SCRIPT_NAME"]);
        Assert.Equal("/app/x/y", environ["PATH_INFO"]);
    }

    [Theory]
    [InlineData("nginx-fastcgi/upload", "40000", "application/octet-stream")]
    [InlineData("lighttpd-fastcgi/upload", "40000", "application/octet-stream")]
    [InlineData("apache-scgi/post", "7", "application/x-www-form-urlencoded")]
    [InlineData("nginx-uwsgi/post", "7", "application/x-www-form-urlencoded")]
    public void ContentTypeAndLengthArePassedWithoutTheirHttpTwins(string capture, string length, string type)
    {
        Dictionary<string, string> environ = CapturedVariables.Environ(capture);

        Assert.Equal(length, environ["CONTENT_LENGTH"]);
        Assert.Equal(type, environ["CONTENT_TYPE"]);
        Assert.DoesNotContain("HTTP_CONTENT_LENGTH", environ.Keys);
        Assert.DoesNotContain("HTTP_CONTENT_TYPE", environ.Keys);
    }

    [Fact]
    public void AnEmptyContentTypeAndLengthAreLeftOutAsTheHttpFrontLeavesThemOut()
    {
        Dictionary<string, string> environ = CapturedVariables.Environ("nginx-uwsgi/get");

        Assert.DoesNotContain("CONTENT_LENGTH", environ.Keys);
        Assert.DoesNotContain("CONTENT_TYPE", environ.Keys);
    }

    [Fact]
    public void WhatTheFrontServerAddsPassesThrough()
    {
        Dictionary<string, string> environ = CapturedVariables.Environ("nginx-fastcgi/get");

        Assert.Equal("CGI/1.1", environ["GATEWAY_INTERFACE"]);
        Assert.Equal("nginx/1.22.1", environ["SERVER_SOFTWARE"]);
        Assert.Equal("200", environ["REDIRECT_STATUS"]);
    }

    [Theory]
    [InlineData("HTTPS", "on", "https")]
    [InlineData("HTTPS", "ON", "https")]
    [InlineData("HTTPS", "1", "https")]
    [InlineData("HTTPS", "off", "http")]
    [InlineData("REQUEST_SCHEME", "https", "https")]
    [InlineData("UWSGI_SCHEME", "https", "https")]
    [InlineData("REQUEST_SCHEME", "http", "http")]
    public void TheFrontServersTlsBecomesTheUrlScheme(string name, string value, string scheme)
    {
        var variables = CgiVariables.FromLatin1Pairs([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/"), new(name, value)]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        Assert.Equal(scheme, request!.Scheme);
        Assert.Equal(scheme, Environ(request)["wsgi.url_scheme"]);
        Assert.Equal(scheme == "https" ? "443" : "80", Environ(request)["SERVER_PORT"]);
    }

    [Fact]
    public void TheSiteOfTheRouteIsPyhostSiteAndAFrontServersVariableOfThatNameIsNotPassed()
    {
        var variables = CgiVariables.FromLatin1Pairs([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/"), new("pyhost.site", "forged")]);
        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        var output = new ArrayBufferWriter<byte>();

        request!.WriteEnviron(output, site: "blog");

        Assert.Equal("blog", MarshalDict.LoadDictionary(output.WrittenSpan)["pyhost.site"]);
    }

    [Fact]
    public void WithoutRequestUriThePathIsTheGatewaysScriptNameAndPathInfo()
    {
        var variables = CgiVariables.FromLatin1Pairs([
            new("REQUEST_METHOD", "GET"), new("SCRIPT_NAME", "/app"), new("PATH_INFO", "/caf\u00C3\u00A9 x"),
            new("QUERY_STRING", "a=1"), new("HTTP_HOST", "example.com:8080")]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        Dictionary<string, string> environ = Environ(request!);

        Assert.Equal("/app/caf\u00C3\u00A9 x", request!.Path);
        Assert.Equal("/app", environ["SCRIPT_NAME"]);
        Assert.Equal("/caf\u00C3\u00A9 x", environ["PATH_INFO"]);
        Assert.Equal("/app/caf%C3%A9%20x?a=1", environ["REQUEST_URI"]);
        Assert.Equal("example.com", environ["SERVER_NAME"]);
        Assert.Equal("8080", environ["SERVER_PORT"]);
        Assert.Equal("example.com", request.Host);
    }

    [Theory]
    [InlineData("http://example.com/a%2Fb?q", "/a/b", "q")]
    [InlineData("https://example.com", "/", "")]
    [InlineData("/%zz%4", "/%zz%4", "")]
    [InlineData("*", "*", "")]
    public void TheRequestUriIsDecodedAsTheHttpFrontDecodesItsTarget(string uri, string path, string query)
    {
        var variables = CgiVariables.FromLatin1Pairs([new("REQUEST_METHOD", "GET"), new("REQUEST_URI", uri)]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        Assert.Equal(path, request!.Path);
        Assert.Equal(query, request.QueryString);
    }

    [Fact]
    public void AVariableNameTheWorkerOwnsOrThatIsNotPrintableIsNotPassed()
    {
        var variables = CgiVariables.FromLatin1Pairs([
            new("REQUEST_METHOD", "GET"), new("REQUEST_URI", "/"), new("wsgi.input", "x"), new("wsgi.url_scheme", "https"),
            new("BAD NAME", "x"), new("caf\u00E9", "x"), new("A=B", "x"), new("GOOD", "1"), new("GOOD", "2")]);

        Assert.True(GatewayRequest.TryCreate(variables, out GatewayRequest? request, out _));
        Dictionary<string, string> environ = Environ(request!);

        Assert.Equal("http", environ["wsgi.url_scheme"]);
        Assert.DoesNotContain("wsgi.input", environ.Keys);
        Assert.DoesNotContain("BAD NAME", environ.Keys);
        Assert.DoesNotContain("A=B", environ.Keys);
        Assert.Equal("2", environ["GOOD"]);
    }

    [Theory]
    [InlineData(new[] { "REQUEST_URI", "/" }, "REQUEST_METHOD is missing")]
    [InlineData(new[] { "REQUEST_METHOD", "G ET" }, "REQUEST_METHOD 'G ET' is not a method")]
    [InlineData(new[] { "REQUEST_METHOD", "GET", "CONTENT_LENGTH", "12x" }, "CONTENT_LENGTH '12x' is not a length")]
    [InlineData(new[] { "REQUEST_METHOD", "GET", "CONTENT_LENGTH", "-1" }, "CONTENT_LENGTH '-1' is not a length")]
    [InlineData(new[] { "REQUEST_METHOD", "GET", "CONTENT_LENGTH", "9999999999999999999" }, "is not a length")]
    [InlineData(new[] { "REQUEST_METHOD", "GET", "REQUEST_URI", "/a\nb" }, "REQUEST_URI contains a control character")]
    public void VariablesThatMakeNoSenseAreRefusedSayingWhy(string[] flat, string expectedError)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < flat.Length; i += 2)
        {
            pairs.Add(new(flat[i], flat[i + 1]));
        }

        Assert.False(GatewayRequest.TryCreate(CgiVariables.FromLatin1Pairs(pairs), out GatewayRequest? request, out string? error));
        Assert.Null(request);
        Assert.Contains(expectedError, error);
    }

    [Fact]
    public void TheEnvironLoadsInCPythonAsADictOfNativeStrings()
    {
        Assert.True(GatewayRequest.TryCreate(CapturedVariables.Read("nginx-uwsgi/get"), out GatewayRequest? request, out _));
        var output = new ArrayBufferWriter<byte>();
        request!.WriteEnviron(output);

        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, output.WrittenSpan.ToArray());
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("-I");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import json, marshal, sys; d = marshal.load(open(sys.argv[1], 'rb')); "
                + "assert all(type(k) is str and type(v) is str for k, v in d.items()); print(json.dumps(d, ensure_ascii=True))");
            start.ArgumentList.Add(file);
            using Process python = Process.Start(start)!;
            string json = python.StandardOutput.ReadToEnd();
            python.WaitForExit();

            Assert.Equal(0, python.ExitCode);
            Dictionary<string, string> fromPython = JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;
            Assert.Equal(MarshalDict.LoadDictionary(output.WrittenSpan), fromPython);
            Assert.Equal("/hello/w\u00C3\u00B6rld", fromPython["PATH_INFO"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Dictionary<string, string> Environ(GatewayRequest request)
    {
        var output = new ArrayBufferWriter<byte>();
        request.WriteEnviron(output);
        return MarshalDict.LoadDictionary(output.WrittenSpan);
    }
}
