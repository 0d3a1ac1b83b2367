using System.IO.Compression;
using System.Text;

namespace PyHost.FrameworkTests.StaticFiles;

/// <summary>
/// A site with what nginx-level static serving needs, served four ways: by pyhost with every static feature on,
/// by pyhost as a single-page app (fallback to index.html), and by Debian's nginx and Debian's Caddy configured the
/// same as the first.
/// <code>
/// site/                          --static /static=site        nginx: location /static/ { alias site/; ... }
///                                                             Caddy: handle_path /static/* { root * site; ... }
///   page.html (+ .gz .br .zst)   precompressed siblings
///   style.css data.json logo.svg compressible, no sibling
///   site.0123456789ab.css        a hashed name (Django's ManifestStaticFilesStorage)
///   image.png big.bin            not compressible
///   docs/index.html              a directory with an index
/// pages/404.html pages/50x.html  the site's own error pages
/// spa/index.html spa/app.js      --static /=spa --static-fallback index.html
/// </code>
/// </summary>
public sealed class StaticFeaturesSite : IAsyncLifetime
{
    public const string Immutable = "public, max-age=31536000, immutable";

    private PyHostServer? _site;
    private PyHostServer? _spa;
    private Nginx? _nginx;
    private ReverseProxy? _caddy;

    public string Root { get; } = Directory.CreateTempSubdirectory("pyhost-static-features-").FullName;

    public string SiteDirectory => Path.Combine(Root, "site");

    public PyHostServer Site => _site ?? throw new InvalidOperationException("not started");

    public PyHostServer Spa => _spa ?? throw new InvalidOperationException("not started");

    public Nginx Nginx => _nginx ?? throw new InvalidOperationException("not started");

    public ReverseProxy Caddy => _caddy ?? throw new InvalidOperationException("not started");

    public byte[] Page { get; } = Encoding.UTF8.GetBytes(
        "<!DOCTYPE html>\n<html><body>\n" + string.Concat(Enumerable.Range(0, 600).Select(i => $"<p>Paragraph {i} of a static page.</p>\n")) + "</body></html>\n");

    public byte[] BigFile { get; } = new byte[64 * 1024];

    public byte[] File(string relativePath) => System.IO.File.ReadAllBytes(Path.Combine(SiteDirectory, relativePath));

    /// <summary>
    /// What every server side by side must do with a file under /static/: serve it whole with byte ranges offered and a
    /// strong ETag, answer 304 to that ETag (with it, and no body) and to its Last-Modified, and 200 to another tag.
    /// </summary>
    public async Task AssertValidatorsAnswer304Async(string server, Func<string, string[], Task<RawHttpResponse>> get, string name)
    {
        RawHttpResponse response = (await get($"/static/{name}", [])).AssertStatus(200);
        Assert.Equal(File(name), response.Body);
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        string etag = response.Header("ETag")!;
        string lastModified = response.Header("Last-Modified")!;
        Assert.True(etag.StartsWith('"'), $"{server}: {etag}");

        RawHttpResponse byTag = (await get($"/static/{name}", [$"If-None-Match: {etag}"])).AssertStatus(304);
        Assert.Equal(etag, byTag.Header("ETag"));
        Assert.Empty(byTag.Body);
        (await get($"/static/{name}", [$"If-Modified-Since: {lastModified}"])).AssertStatus(304);
        (await get($"/static/{name}", ["If-None-Match: \"something-else\""])).AssertStatus(200);
    }

    public async Task InitializeAsync()
    {
        new Random(7).NextBytes(BigFile);
        Write("site/page.html", Page);
        Write("site/page.html.gz", Compress(Page, s => new GZipStream(s, CompressionLevel.SmallestSize, leaveOpen: true)));
        Write("site/page.html.br", Compress(Page, s => new BrotliStream(s, CompressionLevel.SmallestSize, leaveOpen: true)));
        Write("site/page.html.zst", Compress(Page, s => new ZstdSharp.CompressionStream(s, 19, leaveOpen: true)));
        Write("site/style.css", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $".rule-{i} {{ margin: {i}px; color: #333; }}\n"))));
        Write("site/data.json", Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 300).Select(i => $"{{\"id\": {i}, \"name\": \"item {i}\"}}")) + "]"));
        Write("site/logo.svg", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\">" + string.Concat(Enumerable.Range(0, 100).Select(i => $"<circle cx=\"{i}\" cy=\"{i}\" r=\"5\"/>")) + "</svg>\n"));
        Write("site/site.0123456789ab.css", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $".hashed-{i} {{ padding: {i}px; }}\n"))));
        byte[] png = new byte[5000];
        new Random(3).NextBytes(png);
        Write("site/image.png", png);
        Write("site/big.bin", BigFile);
        Write("site/docs/index.html", Encoding.UTF8.GetBytes("<!DOCTYPE html><title>docs</title><p>The docs index.</p>\n"));
        Write("pages/404.html", Encoding.UTF8.GetBytes("<!DOCTYPE html><title>Not here</title><p>The site's own 404 page.</p>\n"));
        Write("pages/50x.html", Encoding.UTF8.GetBytes("<!DOCTYPE html><title>Down</title><p>The site's own 50x page.</p>\n"));
        Write("spa/index.html", Encoding.UTF8.GetBytes("<!DOCTYPE html><title>app</title><div id=\"app\"></div><script src=\"/app.js\"></script>\n"));
        Write("spa/app.js", Encoding.UTF8.GetBytes("console.log('router');\n"));

        string apps = Path.Combine(AppContext.BaseDirectory, "apps");
        _site = await PyHostServer.StartAsync("compression_app", [
            "--chdir", apps, "-w", "1", "-t", "1",
            "--static", $"/static={SiteDirectory}",
            "--static-index", "index.html",
            "--static-precompressed",
            "--static-cache-control", $"hashed={Immutable}",
            "--static-cache-control", "*.html=no-cache",
            "--error-page", $"404={Path.Combine(Root, "pages", "404.html")}",
            "--error-page", $"50x={Path.Combine(Root, "pages", "50x.html")}",
            "--compress", "--compress-level", "gzip=5",
        ]);
        _spa = await PyHostServer.StartAsync("compression_app", [
            "--chdir", apps, "-w", "1",
            "--static", $"/={Path.Combine(Root, "spa")}",
            "--static-fallback", "index.html",
        ]);
        // The same as the first pyhost, in nginx's words. nginx's gzip module has no Brotli or zstd.
        _nginx = await Nginx.StartAsync($$"""
                    location /static/ {
                        alias {{SiteDirectory}}/;
                        index index.html;
                        gzip_static on;
                        gzip on;
                        gzip_vary on;
                        gzip_comp_level 5;
                        gzip_min_length 512;
                        gzip_types text/css text/javascript application/json image/svg+xml;
                    }
            """);
        // The same again in Caddy's words. Its encode has no Brotli (a plugin, not in Debian's build); its defaults are
        // PyHost's: gzip level 5, responses under 512 bytes left alone, text-like types only. precompressed names the
        // siblings in PyHost's order for equal client weights: br, zstd, gzip.
        _caddy = await ReverseProxy.StartCaddyAsync(port => $$"""
            http://:{{port}} {
            	bind 127.0.0.1
            	handle_path /static/* {
            		root * {{SiteDirectory}}
            		encode zstd gzip
            		file_server {
            			precompressed br zstd gzip
            			index index.html
            		}
            	}
            }
            """);
    }

    public async Task DisposeAsync()
    {
        foreach (IAsyncDisposable? server in new IAsyncDisposable?[] { _site, _spa, _nginx, _caddy })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
        Directory.Delete(Root, recursive: true);
    }

    private void Write(string relativePath, byte[] contents)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, contents);
    }

    private static byte[] Compress(byte[] data, Func<Stream, Stream> encoder)
    {
        using var output = new MemoryStream();
        using (Stream stream = encoder(output))
        {
            stream.Write(data);
        }
        return output.ToArray();
    }
}
