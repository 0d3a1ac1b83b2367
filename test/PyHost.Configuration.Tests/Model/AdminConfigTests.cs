using PyHost.Configuration.Model;

namespace PyHost.Configuration.Tests.Model;

/// <summary>[admin] and the flags that set it: the admin API's socket and TCP address, its token, the OTLP export;
/// and [log] error_format.</summary>
public class AdminConfigTests
{
    private static ConfigLoadResult LoadToml(string text)
    {
        using var load = new LoadHelper();
        load.Files.Write("pyhost.toml", "[app.main]\nmodule = \"a:b\"\n" + text);
        return load.Load();
    }

    [Fact]
    public void TheAdminTableReadsEveryKey()
    {
        ConfigLoadResult result = LoadToml("""
            [admin]
            socket = "/run/site/admin.sock"
            listen = "127.0.0.1:9000"
            token_file = "/etc/pyhost/admin.token"
            otlp_endpoint = "http://127.0.0.1:4318"
            otlp_protocol = "grpc"
            [log]
            error_format = "json"
            """);

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        AdminConfig admin = result.Config!.Admin;
        Assert.Equal(("/run/site/admin.sock", "127.0.0.1:9000", "/etc/pyhost/admin.token"), (admin.Socket, admin.Listen, admin.TokenFile));
        Assert.Equal(("http://127.0.0.1:4318", OtlpProtocol.Grpc), (admin.OtlpEndpoint, admin.OtlpProtocol));
        Assert.Equal(ErrorLogFormat.Json, result.Config.Log.ErrorFormat);
    }

    [Fact]
    public void TheDefaultsAreTheControlSocketOnlyAndNoExport()
    {
        ConfigLoadResult result = LoadToml("");
        AdminConfig admin = result.Config!.Admin;
        Assert.Equal((null, null, null, null, OtlpProtocol.HttpProtobuf), (admin.Socket, admin.Listen, admin.TokenFile, admin.OtlpEndpoint, admin.OtlpProtocol));
        Assert.Equal(ErrorLogFormat.Text, result.Config.Log.ErrorFormat);
    }

    [Theory]
    [InlineData("[admin]\nlisten = \"127.0.0.1:9000\"\n", "admin.listen", "has no token_file")]
    [InlineData("[admin]\nlisten = \"9000\"\ntoken_file = \"t\"\n", "admin.listen", "is not HOST:PORT")]
    [InlineData("[admin]\notlp_endpoint = \"collector:4318\"\n", "admin.otlp_endpoint", "is not an http:// or https:// URL")]
    [InlineData("[admin]\notlp_protocol = \"thrift\"\n", "admin.otlp_protocol", "thrift")]
    [InlineData("[admin]\nport = 9000\n", "admin.port", "port")]
    [InlineData("[log]\nerror_format = \"xml\"\n", "log.error_format", "xml")]
    public void AWrongAdminSettingIsAnErrorAtItsKey(string toml, string path, string message)
    {
        string errors = string.Join("\n", LoadToml(toml).Errors);
        Assert.Contains(path, errors);
        Assert.Contains(message, errors);
    }

    [Fact]
    public void TheAdminFlagSetsTheTcpAddressOrWithUnixTheSocket()
    {
        using var load = new LoadHelper();
        AdminConfig tcp = load.LoadValid("--admin", "[::1]:9000", "--admin-token-file", "t.token").Admin;
        AdminConfig unix = load.LoadValid("--admin", "unix:/run/admin.sock").Admin;

        Assert.Equal(("[::1]:9000", "t.token", null), (tcp.Listen, Path.GetFileName(tcp.TokenFile), tcp.Socket));
        Assert.Equal((null, "/run/admin.sock"), (unix.Listen, unix.Socket));
    }
}
