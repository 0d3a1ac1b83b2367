namespace PyHost.Tls.Certificates;

/// <summary>
/// Where one name's (or one file pair's) certificate is served from. A renewal swaps the certificate in with one
/// reference write: handshakes that start after it get the new one, connections already open keep the one they
/// were made with (their SslStream holds it).
/// </summary>
public sealed class CertificateSlot(string name)
{
    private ServerCertificate? _current;

    /// <summary>For log lines: a host name or a file path.</summary>
    public string Name { get; } = name;

    public ServerCertificate? Current => Volatile.Read(ref _current);

    public void Install(ServerCertificate certificate) => Volatile.Write(ref _current, certificate);
}
