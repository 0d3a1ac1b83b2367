using System.Text;

namespace PyHost.FrameworkTests.Compatibility;

/// <summary>Renders docs/compatibility.md from the recorded checks: a table per section, then every check with its outcome.</summary>
public static class CompatibilityReport
{
    public static string Render(IReadOnlyList<CheckResult> results, string run)
    {
        var text = new StringBuilder();
        text.Append("# Compatibility\n\n");
        text.Append("<!-- Written by test/PyHost.FrameworkTests (part of `make test`). Do not edit: run the tests. -->\n\n");
        text.Append("Each app in `examples/` is a small app written for its framework as real sites are, run unmodified on the ");
        text.Append("framework as Debian 12 packages it. The tests drive it as a ");
        text.Append("user would (sign in, submit forms with their CSRF tokens, upload, follow redirects, read streamed responses ");
        text.Append("chunk by chunk), once through PyHost and once through Debian's gunicorn serving the same app with the same ");
        text.Append("arguments. Status codes, Content-Type, Content-Length, Location, Set-Cookie, Content-Range, ");
        text.Append("Content-Disposition and bodies must be the same on both, with dates, CSRF tokens, session ids and each ");
        text.Append("server's own address masked. The one difference forgiven: gunicorn passes on a Content-Length an app ");
        text.Append("sets on a 204 or 304, which RFC 9110 §8.6 forbids a server to send; PyHost does not send it. A check marked ");
        text.Append("(pyhost only) covers what gunicorn does not do: static files. ASGI apps are compared the same way with ");
        text.Append("Debian's uvicorn, their WebSockets driven by python3-websockets on both.\n\n");
        text.Append($"Last run: {DateTime.UtcNow:yyyy-MM-dd}, {run}\n");

        foreach (var section in FrameworkRows.All.GroupBy(row => row.Section))
        {
            text.Append($"\n## {section.Key}\n\n");
            text.Append("| Name | Debian package | Version | Example | Result |\n");
            text.Append("|------|----------------|---------|---------|--------|\n");
            foreach (FrameworkRow row in section)
            {
                var checks = results.Where(result => result.Row == row).ToList();
                text.Append($"| {row.Name} | {PackageCell(row)} | {VersionCell(row)} | {(row.Example is null ? "—" : $"`{row.Example}`")} | {ResultCell(row, checks)} |\n");
            }
        }

        AppendFrontServers(text);

        text.Append("\n## What was checked\n");
        foreach (FrameworkRow row in FrameworkRows.All)
        {
            var checks = results.Where(result => result.Row == row).OrderBy(result => result.Description, StringComparer.Ordinal).ToList();
            text.Append($"\n### {row.Name}\n\n");
            if (row.NotTestedBecause is { } reason)
            {
                text.Append($"Not tested: {reason}.");
                text.Append(checks.Count > 0 && checks.All(check => check.Passed) ? " The run confirmed it is not installed.\n" : "\n");
                continue;
            }
            if (checks.Count == 0)
            {
                text.Append("Not run.\n");
            }
            foreach (CheckResult check in checks)
            {
                text.Append(check.Passed ? $"- pass: {check.Description}\n" : $"- **FAIL**: {check.Description}. {check.Failure}\n");
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The web servers in front that test/PyHost.IntegrationTests/Gateways runs (their results are in that run, not
    /// recorded here), with the versions installed, and why Mongrel2 is met through a stand-in.
    /// </summary>
    private static void AppendFrontServers(StringBuilder text)
    {
        text.Append("\n## Web servers in front\n\n");
        text.Append("The integration tests (`test/PyHost.IntegrationTests/Gateways`, `Cgi`) start each of these with a configuration they write ");
        text.Append("and drive PyHost through it: GET with a query, a non-ASCII path, an app under a mount point, a Unix socket, HTTPS at the ");
        text.Append("front, 10 MiB up and down, a streamed response, a client leaving mid-response, the app's 500 and a dead worker's 502.\n\n");
        text.Append("| Server | Debian package | Protocols |\n|--------|----------------|-----------|\n");
        text.Append($"| nginx | nginx {DebianPackages.InstalledVersion("nginx") ?? "(not installed)"} | uwsgi_pass, scgi_pass, fastcgi_pass (with a keep-alive upstream) |\n");
        text.Append($"| Apache httpd | apache2 {DebianPackages.InstalledVersion("apache2") ?? "(not installed)"} | mod_proxy_uwsgi, mod_proxy_scgi, mod_proxy_fcgi; mod_cgid for `--cgi` |\n");
        text.Append($"| lighttpd | lighttpd {DebianPackages.InstalledVersion("lighttpd") ?? "(not installed)"} | mod_fastcgi, mod_scgi (lighttpd has no uwsgi module) |\n");
        text.Append($"| Mongrel2 | not packaged | the handler protocol, against a stand-in (python3-zmq {DebianPackages.InstalledVersion("python3-zmq") ?? "(not installed)"}) |\n\n");
        text.Append("Mongrel2 is not packaged in Debian 12 (nor on PyPI as a server): PyHost's Mongrel2 handler is tested against a peer ");
        text.Append("written in the tests from the Mongrel2 manual's description of the handler protocol (ZeroMQ PUSH/SUB sockets bound ");
        text.Append("as Mongrel2 binds them, tnetstring headers, disconnect messages), never against Mongrel2 itself.\n");
    }

    private static string PackageCell(FrameworkRow row)
    {
        if (row.DebianPackage is null)
        {
            return row.NotTestedBecause is null ? "—" : "not packaged";
        }
        return string.Join(", ", new[] { row.DebianPackage }.Concat(row.AlsoPackages ?? [])
            .Select(package => $"{package} {DebianPackages.InstalledVersion(package) ?? "(not installed)"}"));
    }

    private static string VersionCell(FrameworkRow row) =>
        row.PythonDistribution is { } distribution && row.NotTestedBecause is null
            ? DebianPackages.PythonDistributionVersion(distribution) ?? "not importable"
            : "—";

    private static string ResultCell(FrameworkRow row, IReadOnlyList<CheckResult> checks)
    {
        if (row.NotTestedBecause is { } reason)
        {
            return $"not tested: {reason.Split('.')[0]}";
        }
        if (checks.Count == 0)
        {
            return "not run";
        }
        int failed = checks.Count(check => !check.Passed);
        return failed == 0
            ? $"**pass** ({checks.Count} of {checks.Count} checks)"
            : $"**FAIL** ({failed} of {checks.Count} checks failed: {checks.First(check => !check.Passed).Failure})";
    }
}
