namespace PyHost.IntegrationTests.Gateways;

/// <summary>A self-signed certificate for 127.0.0.1, made once per run with openssl, for the front servers' TLS ports:
/// they tell PyHost the client used TLS (HTTPS=on), which the app must see as wsgi.url_scheme https.</summary>
public static class TestCertificate
{
    private static readonly Lazy<(string Certificate, string Key)> Files = new(Create);

    public static string CertificatePath => Files.Value.Certificate;

    public static string KeyPath => Files.Value.Key;

    private static (string, string) Create()
    {
        string directory = Directory.CreateTempSubdirectory("pyhost-tls-").FullName;
        // Readable by the front servers' own users (Apache's www-data).
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        string certificate = Path.Combine(directory, "cert.pem");
        string key = Path.Combine(directory, "key.pem");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("openssl")
        {
            ArgumentList = { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=127.0.0.1" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl could not make a test certificate: {errors}");
        }
        File.SetUnixFileMode(key, (UnixFileMode)0b110_100_100);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return (certificate, key);
    }
}
