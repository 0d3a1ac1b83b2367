using System.Net;
using PyHost.IntegrationTests.Gateways;
using PyHost.IntegrationTests.Infrastructure;
using Xunit;

namespace PyHost.IntegrationTests.Cgi;

/// <summary>
/// One directory of CGI scripts, a Python one and shell ones, served side by side by pyhost (<c>--cgi</c>) and by
/// Debian's Apache httpd (mod_cgid, <c>ScriptAlias</c>), so every answer can be compared with Apache's.
/// </summary>
public sealed class CgiSite : IAsyncLifetime
{
    public const int TimeoutSeconds = 3;

    /// <summary>The scripts, by file name. Each prints what the comparison looks at.</summary>
    public static readonly IReadOnlyDictionary<string, string> Scripts = new Dictionary<string, string>
    {
        // The meta-variables both servers must agree on, then the body read from stdin.
        ["env.py"] = """
            #!/usr/bin/python3
            import hashlib, os, sys
            body = sys.stdin.buffer.read()
            print("Content-Type: text/plain; charset=utf-8")
            print("X-Script: python")
            print()
            for name in ["GATEWAY_INTERFACE", "SERVER_PROTOCOL", "REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI",
                         "SCRIPT_NAME", "SCRIPT_FILENAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
                         "CONTEXT_PREFIX", "REMOTE_ADDR", "SERVER_NAME", "HTTP_X_CUSTOM", "HTTP_COOKIE", "HTTP_PROXY",
                         "HTTP_AUTHORIZATION", "HTTPS"]:
                print(f"{name}={os.environ.get(name, '<unset>')}")
            print(f"body={len(body)} {hashlib.sha256(body).hexdigest()}")
            """,
        ["hello.sh"] = """
            #!/bin/sh
            echo "Status: 201 Created"
            echo "Content-Type: text/plain"
            echo "X-Shell: yes"
            echo
            echo "hello from sh, query $QUERY_STRING, method $REQUEST_METHOD"
            """,
        ["local-redirect.sh"] = """
            #!/bin/sh
            echo "Location: /cgi-bin/hello.sh?from=redirect"
            echo
            """,
        ["client-redirect.sh"] = """
            #!/bin/sh
            echo "Location: http://example.com/elsewhere?x=1"
            echo
            echo "this body is the server's to replace"
            """,
        ["not-found.sh"] = """
            #!/bin/sh
            printf 'Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>the script says no</p>\n'
            """,
        ["no-headers.sh"] = """
            #!/bin/sh
            echo "this is not a CGI response"
            """,
        ["stderr.sh"] = """
            #!/bin/sh
            echo "a warning from the script" >&2
            echo "Content-Type: text/plain"
            echo
            echo "done"
            """,
        ["whoami.sh"] = """
            #!/bin/sh
            echo "Content-Type: text/plain"
            echo
            echo "uid=$(id -u) gid=$(id -g)"
            """,
        // Starts a background child, then outlives the timeout: the whole process group must go.
        ["hang.sh"] = """
            #!/bin/sh
            sleep 300 &
            echo $$ $! > "$(dirname "$0")/../hang.pids"
            sleep 300
            """,
    };

    private FrontServer? _apache;
    private PyHostServer? _pyHost;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pyhost-cgi-").FullName;

    public string ScriptDirectory => Path.Combine(Directory, "cgi-bin");

    public PyHostServer PyHost => _pyHost ?? throw new InvalidOperationException("not started");

    public FrontServer Apache => _apache ?? throw new InvalidOperationException("not started");

    public int ApachePort { get; private set; }

    public async Task InitializeAsync()
    {
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_111_111);   // hang.sh writes here, as Apache's www-data too
        System.IO.Directory.CreateDirectory(ScriptDirectory);
        File.SetUnixFileMode(ScriptDirectory, (UnixFileMode)0b111_101_101);
        foreach (var (name, text) in Scripts)
        {
            string path = Path.Combine(ScriptDirectory, name);
            File.WriteAllText(path, text + "\n");
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
        File.WriteAllText(Path.Combine(ScriptDirectory, "not-executable.sh"), "#!/bin/sh\necho hi\n");
        _pyHost = await PyHostServer.StartAsync("gateway:app",
            ["--chdir", Repository.AppsDirectory, "-w", "1", "--cgi", $"/cgi-bin={ScriptDirectory}", "--cgi", $"/one={ScriptDirectory}/env.py", "--timeout", TimeoutSeconds.ToString()]);
        _apache = await StartApacheAsync();
    }

    private async Task<FrontServer> StartApacheAsync()
    {
        const string modules = "/usr/lib/apache2/modules";
        for (int attempt = 1; ; attempt++)
        {
            ApachePort = PyHostServer.FreePort(IPAddress.Loopback);
            string errorLog = Path.Combine(Directory, "apache-error.log");
            string config = Path.Combine(Directory, "httpd.conf");
            File.WriteAllText(config, $"""
                ServerRoot {Directory}
                ServerName cgi.test
                PidFile {Directory}/httpd.pid
                DefaultRuntimeDir {Directory}
                ErrorLog {errorLog}
                LoadModule mpm_event_module {modules}/mod_mpm_event.so
                LoadModule authz_core_module {modules}/mod_authz_core.so
                LoadModule alias_module {modules}/mod_alias.so
                LoadModule cgid_module {modules}/mod_cgid.so
                User www-data
                Group www-data
                ScriptSock {Directory}/cgid.sock
                Listen 127.0.0.1:{ApachePort}
                ScriptAlias /cgi-bin/ {ScriptDirectory}/
                <Directory {ScriptDirectory}>
                    Require all granted
                </Directory>
                """);
            try
            {
                return await FrontServer.StartAsync("apache2", "/usr/sbin/apache2", ["-f", config, "-DFOREGROUND"], Directory, errorLog, [ApachePort]);
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_apache is not null)
        {
            await _apache.DisposeAsync();
        }
        if (_pyHost is not null)
        {
            await _pyHost.DisposeAsync();
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
