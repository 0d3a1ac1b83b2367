using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace PyHost.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's pebble (Let's Encrypt's test ACME server) on loopback, with a config the test writes: its HTTPS
/// certificate from a test CA (PyHost trusts it through [acme] ca_root), validation of HTTP-01 and TLS-ALPN-01 on the
/// test's PyHost ports, names resolved by a <see cref="TestDnsServer"/>. No random validation sleeps; 20 % of nonces
/// refused as bad, so the client's badNonce retry is exercised on every run; no authorization reuse, so every order
/// is validated.
/// </summary>
public sealed class Pebble : IAsyncDisposable
{
    private readonly TestProcess _process;
    private readonly int _managementPort;
    private readonly TestCa _listenerCa;

    private Pebble(TestProcess process, int port, int managementPort, TestCa listenerCa, string listenerCaFile)
    {
        _process = process;
        Port = port;
        _managementPort = managementPort;
        _listenerCa = listenerCa;
        ListenerCaFile = listenerCaFile;
    }

    public int Port { get; }

    public string DirectoryUrl => $"https://127.0.0.1:{Port}/dir";

    /// <summary>The CA of pebble's own HTTPS certificate (not the CA it issues from).</summary>
    public string ListenerCaFile { get; }

    public string Output => _process.Output;

    public static async Task<Pebble> StartAsync(TemporaryDirectory files, TestDnsServer dns, int httpPort, int tlsPort, int certificateSeconds = 0)
    {
        var listenerCa = TestCa.Create("Pebble Listener CA");
        var (_, certificatePem, keyPem) = listenerCa.IssueServer(["127.0.0.1", "localhost"]);
        // PyHostServer's, not ConfiguredServer's: the framework tests link this file without the config helpers.
        int[] ports = [PyHostServer.FreePort(IPAddress.Loopback), PyHostServer.FreePort(IPAddress.Loopback)];
        string config = files.Write("pebble.json", $$"""
            {"pebble": {
              "listenAddress": "127.0.0.1:{{ports[0]}}",
              "managementListenAddress": "127.0.0.1:{{ports[1]}}",
              "certificate": "{{files.Write("pebble-cert.pem", certificatePem)}}",
              "privateKey": "{{files.Write("pebble-key.pem", keyPem)}}",
              "httpPort": {{httpPort}},
              "tlsPort": {{tlsPort}},
              "ocspResponderURL": "",
              "externalAccountBindingRequired": false,
              "certificateValidityPeriod": {{certificateSeconds}}
            }
            }
            """);
        var process = TestProcess.Start("/usr/bin/pebble", ["-config", config, "-dnsserver", $"127.0.0.1:{dns.EndPoint.Port}", "-strict=false"], files.Path,
            new Dictionary<string, string?> { ["PEBBLE_VA_NOSLEEP"] = "1", ["PEBBLE_WFE_NONCEREJECT"] = "20", ["PEBBLE_AUTHZREUSE"] = "0" });
        try
        {
            await process.WaitForOutputAsync(new Regex("ACME directory available at"), TimeSpan.FromSeconds(30));
            return new Pebble(process, ports[0], ports[1], listenerCa, files.Write("pebble-listener-ca.pem", listenerCa.Pem));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The root pebble issues under, from its management interface (made new at every start).</summary>
    public async Task<X509Certificate2> IssuingRootAsync()
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_listenerCa.Certificate);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler);
        string pem = await http.GetStringAsync($"https://127.0.0.1:{_managementPort}/roots/0");
        return X509Certificate2.CreateFromPem(pem);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
