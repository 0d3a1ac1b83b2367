using System.Text.RegularExpressions;
using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

public enum OtlpProtocol
{
    HttpProtobuf,
    Grpc,
}

/// <summary>
/// <c>[admin]</c>: the admin API (status, metrics, the dashboard, reload, scale, stack dumps) on its unix socket and
/// optionally a TCP address, and the OTLP collector metrics and traces are pushed to.
/// </summary>
public sealed partial record AdminConfig
{
    /// <summary>The admin API's unix socket (0600); null = beside the pid file (NAME.control.sock), else in the runtime directory.</summary>
    public string? Socket { get; init; }

    /// <summary>A TCP address (HOST:PORT) for the admin API as well, for Prometheus and a browser; null = none.</summary>
    public string? Listen { get; init; }

    /// <summary>The file holding the bearer token every request to <see cref="Listen"/> must carry.</summary>
    public string? TokenFile { get; init; }

    /// <summary>The OTLP collector's base URL; null = $OTEL_EXPORTER_OTLP_ENDPOINT, else no OTLP export.</summary>
    public string? OtlpEndpoint { get; init; }

    public OtlpProtocol OtlpProtocol { get; init; } = OtlpProtocol.HttpProtobuf;

    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$")]
    private static partial Regex HostPortPattern();

    private static readonly TextType HostPort = new("HOST:PORT, e.g. 127.0.0.1:9000", text =>
        HostPortPattern().IsMatch(text) ? null : ($"'{text}' is not HOST:PORT", "e.g. \"127.0.0.1:9000\" or \"[::1]:9000\"; the unix socket is `socket`"),
        pattern: HostPortPattern().ToString());

    private static readonly TextType HttpUrl = new("an http:// or https:// URL", text =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https"
            ? null
            : ($"'{text}' is not an http:// or https:// URL", "e.g. \"http://127.0.0.1:4318\" for a collector's OTLP/HTTP port"),
        pattern: "^https?://");

    public static ConfigTable<AdminConfig> Table { get; } = new("[admin]", "The admin API, its dashboard and metrics, and the OTLP export.", () => new AdminConfig())
    {
        { "socket", Types.Optional(Types.Path), "The admin API's unix socket, made 0600. `pyhost reload`, `scale` and `top` use it.", a => a.Socket, (a, v) => a with { Socket = v }, "NAME.control.sock beside the pid file, else in the runtime directory" },
        { "listen", Types.Optional(HostPort), "Also serve the admin API on this TCP address (HOST:PORT), for Prometheus and a browser. Needs token_file.", a => a.Listen, (a, v) => a with { Listen = v }, "none" },
        { "token_file", Types.Optional(Types.Path), "A file holding the bearer token (16 or more printable characters) that requests to `listen` must send.", a => a.TokenFile, (a, v) => a with { TokenFile = v }, "none" },
        { "otlp_endpoint", Types.Optional(HttpUrl), "Push metrics and a span per request over OTLP to this collector.", a => a.OtlpEndpoint, (a, v) => a with { OtlpEndpoint = v }, "$OTEL_EXPORTER_OTLP_ENDPOINT, else none" },
        { "otlp_protocol", Types.Choice(("http/protobuf", OtlpProtocol.HttpProtobuf), ("grpc", OtlpProtocol.Grpc)), "How OTLP is sent: http/protobuf or grpc.", a => a.OtlpProtocol, (a, v) => a with { OtlpProtocol = v } },
    };
}
