using System.Buffers;
using System.Globalization;
using System.Text;
using PyHost.Protocol;

namespace PyHost.Gateways;

// The environ a worker receives for a gateway request has the shape the HTTP front sends (docs/protocol.md, "The
// environ payload"): the same keys, computed the same way, so an app cannot tell how its request arrived. What the
// front server adds beyond them (DOCUMENT_ROOT, REMOTE_USER, HTTPS, SSL_*, a uwsgi_param of the admin's own) passes
// through as uWSGI and flup pass it.
public sealed partial class GatewayRequest
{

    // Written above from computed values, or dropped: HTTP_CONTENT_* duplicate CONTENT_* (nginx sends both; PEP 3333
    // and the HTTP front have only the unprefixed pair), SCGI=1 is the protocol's own marker.
    private static readonly string[] ComputedOrDropped =
    [
        "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI", "SERVER_PROTOCOL",
        "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE", "CONTENT_LENGTH",
        "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "SCGI",
    ];

    /// <summary>
    /// Writes the CGI part of the environ as the marshal dict the worker loads. <paramref name="scriptName"/> is the
    /// mount point of the PyHost route that serves the request ("" for the root); null takes
    /// <see cref="GatewayScriptName"/>. A mount point that is not a prefix of <see cref="Path"/> at a '/' is ignored.
    /// <paramref name="bufferedBodyLength"/>, the length of a body the front read whole, becomes CONTENT_LENGTH (a
    /// FastCGI body may come without one), as for HTTP. <paramref name="site"/>, the site whose route chose the app,
    /// becomes pyhost.site, as for HTTP (a front server's variable of that name is not passed).
    /// </summary>
    public void WriteEnviron(IBufferWriter<byte> output, string? scriptName = null, long? bufferedBodyLength = null, string? site = null)
    {
        scriptName ??= GatewayScriptName;
        bool mounted = scriptName.Length > 0 && Path.StartsWith(scriptName, StringComparison.Ordinal)
            && (Path.Length == scriptName.Length || Path[scriptName.Length] == '/');
        if (!mounted)
        {
            scriptName = "";
        }

        MarshalWriter.WriteDictStart(output);
        Add(output, EnvironKeys.RequestMethod, Method);
        Add(output, EnvironKeys.ScriptName, scriptName);
        Add(output, EnvironKeys.PathInfo, Path.AsSpan(scriptName.Length));
        Add(output, EnvironKeys.QueryString, QueryString);
        Add(output, EnvironKeys.RequestUri, RequestUri);
        Add(output, EnvironKeys.RawUri, RequestUri);
        Add(output, EnvironKeys.ServerProtocol, Variables.GetLatin1("SERVER_PROTOCOL") is { Length: > 0 } protocol ? protocol : "HTTP/1.1");
        Add(output, EnvironKeys.UrlScheme, Scheme);
        Add(output, EnvironKeys.ServerName, ServerName());
        Add(output, EnvironKeys.ServerPort, ServerPort());
        Add(output, EnvironKeys.RemoteAddr, Variables.GetLatin1("REMOTE_ADDR") ?? "");
        Add(output, EnvironKeys.RemotePort, Variables.GetLatin1("REMOTE_PORT") ?? "0");
        AddIfNotEmpty(output, EnvironKeys.ContentType, "CONTENT_TYPE", "HTTP_CONTENT_TYPE");
        if ((bufferedBodyLength ?? ContentLength) is { } length)
        {
            Add(output, EnvironKeys.ContentLength, length.ToString(CultureInfo.InvariantCulture));
        }
        WritePassedVariables(output);
        if (site is not null)
        {
            Add(output, EnvironKeys.Site, site);
        }
        MarshalWriter.WriteDictEnd(output);
    }

    private string ServerName()
    {
        if (Variables.GetLatin1("SERVER_NAME") is { Length: > 0 } name)
        {
            return name;
        }
        // nginx sends SERVER_NAME "" for a server block without server_name.
        return Host ?? Variables.GetLatin1("SERVER_ADDR") ?? "localhost";
    }

    private string ServerPort()
    {
        if (Variables.TryGetValue("SERVER_PORT", out ReadOnlySpan<byte> port) && TryParseLength(port, out long number))
        {
            return number.ToString(CultureInfo.InvariantCulture);
        }
        string? host = Variables.GetLatin1("HTTP_HOST");
        if (host is not null && HostWithoutPort(host).Length < host.Length)
        {
            return host[(HostWithoutPort(host).Length + 1)..];
        }
        return Scheme == "https" ? "443" : "80";
    }

    private void AddIfNotEmpty(IBufferWriter<byte> output, byte[] key, string name, string fallbackName)
    {
        if ((Variables.TryGetValue(name, out ReadOnlySpan<byte> value) && !value.IsEmpty)
            || (Variables.TryGetValue(fallbackName, out value) && !value.IsEmpty))
        {
            MarshalWriter.WriteEncodedKey(output, key);
            MarshalWriter.WriteLatin1(output, value);
        }
    }

    /// <summary>
    /// HTTP_* variables, a repeated one joined as the HTTP front joins repeated fields (", ", and "; " for Cookie,
    /// RFC 9110 §5.3, RFC 6265 §5.4); then every other variable the front server added, the last of a repeated name
    /// winning. Names that are not printable ASCII, wsgi.* names, which are the worker's, and pyhost.* names, which are
    /// PyHost's own (pyhost.site), are skipped.
    /// </summary>
    private void WritePassedVariables(IBufferWriter<byte> output)
    {
        for (int i = 0; i < Variables.Count; i++)
        {
            ReadOnlySpan<byte> name = Variables.NameAt(i);
            if (!IsPassable(name))
            {
                continue;
            }
            if (name.StartsWith("HTTP_"u8))
            {
                if (!AppearsBefore(name, i))
                {
                    MarshalWriter.WriteKey(output, name);
                    WriteJoinedValues(output, name, i);
                }
            }
            else if (!AppearsAfter(name, i))
            {
                MarshalWriter.WriteKey(output, name);
                MarshalWriter.WriteLatin1(output, Variables.ValueAt(i));
            }
        }
    }

    private static bool IsPassable(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.StartsWith("wsgi."u8) || name.StartsWith("pyhost."u8))
        {
            return false;
        }
        foreach (byte b in name)
        {
            if (b is <= (byte)' ' or >= 0x7F or (byte)'=')
            {
                return false;
            }
        }
        foreach (string computed in ComputedOrDropped)
        {
            if (Ascii.Equals(name, computed))
            {
                return false;
            }
        }
        return true;
    }

    private bool AppearsBefore(ReadOnlySpan<byte> name, int index)
    {
        for (int j = 0; j < index; j++)
        {
            if (Variables.NameAt(j).SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }

    private bool AppearsAfter(ReadOnlySpan<byte> name, int index)
    {
        for (int j = index + 1; j < Variables.Count; j++)
        {
            if (Variables.NameAt(j).SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }

    private void WriteJoinedValues(IBufferWriter<byte> output, ReadOnlySpan<byte> name, int first)
    {
        if (!AppearsAfter(name, first))
        {
            MarshalWriter.WriteLatin1(output, Variables.ValueAt(first));
            return;
        }
        ReadOnlySpan<byte> separator = name.SequenceEqual("HTTP_COOKIE"u8) ? "; "u8 : ", "u8;
        var joined = new ArrayBufferWriter<byte>(256);
        for (int j = first; j < Variables.Count; j++)
        {
            if (Variables.NameAt(j).SequenceEqual(name))
            {
                if (joined.WrittenCount > 0)
                {
                    joined.Write(separator);
                }
                joined.Write(Variables.ValueAt(j));
            }
        }
        MarshalWriter.WriteLatin1(output, joined.WrittenSpan);
    }

    private static void Add(IBufferWriter<byte> output, byte[] key, ReadOnlySpan<char> value)
    {
        MarshalWriter.WriteEncodedKey(output, key);
        MarshalWriter.WriteString(output, value);
    }
}
