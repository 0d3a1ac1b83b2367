using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PyHost.Tls.Certificates;

namespace PyHost.Tls.Tests.Certificates;

/// <summary>The poll fallback alone (no inotify): a changed pair is swapped in, a broken one is kept out and logged once.</summary>
public sealed class CertificateFileWatcherTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pyhost-watch-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (string Certificate, string Key, string Thumbprint) SelfSigned(string name)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), certificate.Thumbprint);
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }

    [Fact]
    public async Task ThePollSwapsInANewPairAndKeepsABrokenOneOut()
    {
        string certificatePath = Path.Combine(_directory, "cert.pem");
        string keyPath = Path.Combine(_directory, "key.pem");
        var (firstPem, firstKey, firstThumbprint) = SelfSigned("first");
        File.WriteAllText(certificatePath, firstPem);
        File.WriteAllText(keyPath, firstKey);
        var slot = new CertificateSlot("test");
        slot.Install(PemCertificateLoader.Load(certificatePath, keyPath));
        var log = new ListLogger();
        using var watcher = new CertificateFileWatcher([(slot, certificatePath, keyPath)], TimeSpan.FromMilliseconds(100), log, useInotify: false);

        var (secondPem, secondKey, secondThumbprint) = SelfSigned("second");
        File.WriteAllText(keyPath, secondKey);
        File.WriteAllText(certificatePath, secondPem);
        Assert.True(await EventuallyAsync(() => slot.Current!.Leaf.Thumbprint == secondThumbprint), "the poll did not pick up the new pair");
        Assert.NotEqual(firstThumbprint, secondThumbprint);

        var (thirdPem, _, _) = SelfSigned("third");
        File.WriteAllText(certificatePath, thirdPem);   // its key never comes
        Assert.True(await EventuallyAsync(() => log.Errors.Count > 0), "no ERROR for the broken pair");
        await Task.Delay(500);   // several more polls
        Assert.Single(log.Errors);
        Assert.Contains("does not belong", log.Errors[0]);
        Assert.Equal(secondThumbprint, slot.Current!.Leaf.Thumbprint);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error)
            {
                lock (Errors)
                {
                    Errors.Add(formatter(state, exception));
                }
            }
        }
    }
}
