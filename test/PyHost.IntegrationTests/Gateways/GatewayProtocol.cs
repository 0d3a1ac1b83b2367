namespace PyHost.IntegrationTests.Gateways;

/// <summary>The protocols a web server in front speaks to PyHost.</summary>
public enum GatewayProtocol
{
    Uwsgi,
    Scgi,
    FastCgi,
}

public static class GatewayProtocols
{
    /// <summary>The scheme of a <c>-b</c> address: uwsgi://, scgi://, fastcgi:// (and uwsgi+unix: ...).</summary>
    public static string Scheme(this GatewayProtocol protocol) => protocol switch
    {
        GatewayProtocol.Uwsgi => "uwsgi",
        GatewayProtocol.Scgi => "scgi",
        _ => "fastcgi",
    };

    public static GatewayProtocol Parse(string name) => name switch
    {
        "uwsgi" => GatewayProtocol.Uwsgi,
        "scgi" => GatewayProtocol.Scgi,
        "fastcgi" => GatewayProtocol.FastCgi,
        _ => throw new ArgumentException($"no gateway protocol '{name}'", nameof(name)),
    };
}

/// <summary>A front server's protocols, known before its fixture starts it: the scenarios run once for each.</summary>
public interface IServesGatewayProtocols
{
    static abstract IReadOnlyList<GatewayProtocol> Served { get; }
}

/// <summary>Where PyHost listens for one protocol: a TCP port and a Unix socket.</summary>
public sealed record GatewayUpstream(GatewayProtocol Protocol, int Port, string UnixSocket)
{
    public string Address => $"127.0.0.1:{Port}";
}
