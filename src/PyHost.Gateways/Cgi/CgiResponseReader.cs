using System.Buffers;
using System.Text;
using PyHost.Protocol;

namespace PyHost.Gateways.Cgi;

/// <summary>
/// Reads the header block a CGI script writes before its body (RFC 3875 §6): <c>name: value</c> lines up to an
/// empty line, with Status, Location and Content-Type understood and the §6.2 rules applied to tell a document
/// from a local or client redirect. Pure: the caller feeds the script's output as it arrives.
/// </summary>
public static class CgiResponseReader
{
    /// <summary>
    /// <see cref="OperationStatus.Done"/>: the head, the reader past the empty line (the body follows).
    /// <see cref="OperationStatus.NeedMoreData"/>: no empty line yet, nothing consumed.
    /// <see cref="OperationStatus.InvalidData"/>: the output is not a CGI response; <paramref name="error"/> says why.
    /// </summary>
    public static OperationStatus TryRead(
        ref SequenceReader<byte> reader, CgiResponseLimits limits, out CgiResponse? response, out string? error)
    {
        response = null;
        error = null;
        var scan = reader;
        var head = new HeadBuilder();
        int lineNumber = 0;
        Span<byte> shortLine = stackalloc byte[256];
        while (true)
        {
            if (!scan.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (reader.Remaining > limits.MaxHeaderBytes)
                {
                    error = $"the script's header block is longer than {limits.MaxHeaderBytes} bytes";
                    return OperationStatus.InvalidData;
                }
                return OperationStatus.NeedMoreData;
            }
            lineNumber++;
            if (scan.Consumed - reader.Consumed > limits.MaxHeaderBytes)
            {
                error = $"the script's header block is longer than {limits.MaxHeaderBytes} bytes";
                return OperationStatus.InvalidData;
            }
            // Lines end in CR LF or, as scripts print them, in a bare LF; every CGI server accepts both.
            Span<byte> text = line.Length <= shortLine.Length ? shortLine[..(int)line.Length] : new byte[line.Length];
            line.CopyTo(text);
            if (text.Length > 0 && text[^1] == (byte)'\r')
            {
                text = text[..^1];
            }
            if (text.IsEmpty)
            {
                if (lineNumber == 1)
                {
                    error = "the script's output starts with an empty line: a CGI response needs at least one header "
                        + "field, such as Content-Type (RFC 3875 §6.2)";
                    return OperationStatus.InvalidData;
                }
                if (!head.TryBuild(out response, out error))
                {
                    return OperationStatus.InvalidData;
                }
                reader.Advance(scan.Consumed - reader.Consumed);
                return OperationStatus.Done;
            }
            if (head.Count == limits.MaxHeaderCount)
            {
                error = $"the script sent more than {limits.MaxHeaderCount} header fields";
                return OperationStatus.InvalidData;
            }
            if (!head.TryAdd(text, lineNumber, out error))
            {
                return OperationStatus.InvalidData;
            }
        }
    }

    private sealed class HeadBuilder
    {
        private readonly CgiResponse _response = new();
        private string? _status;

        public int Count { get; private set; }

        public bool TryAdd(ReadOnlySpan<byte> line, int lineNumber, out string? error)
        {
            Count++;
            error = null;
            if (line.StartsWith("HTTP/"u8))
            {
                error = "the script wrote an HTTP status line: non-parsed-header (nph) output is not supported; "
                    + "write a 'Status: 200 OK' header instead";
                return false;
            }
            if (line[0] is (byte)' ' or (byte)'\t')
            {
                error = $"line {lineNumber} of the script's headers is folded onto the line before (RFC 9112 §5.2)";
                return false;
            }
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                error = $"line {lineNumber} of the script's headers is not a header field: '{Describe(line)}'";
                return false;
            }
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (!HttpTokens.IsToken(name))
            {
                error = $"invalid header name '{Describe(name)}' on line {lineNumber} of the script's headers";
                return false;
            }
            if (ContainsControl(value))
            {
                error = $"header '{Describe(name)}' has a control character in its value (RFC 9110 §5.5)";
                return false;
            }
            string valueText = Encoding.Latin1.GetString(value);
            if (Ascii.EqualsIgnoreCase(name, "Status"u8))
            {
                return TrySetOnce(ref _status, valueText, "Status", out error);
            }
            if (Ascii.EqualsIgnoreCase(name, "Location"u8))
            {
                string? location = _response.Location;
                bool set = TrySetOnce(ref location, valueText, "Location", out error);
                _response.Location = location;
                if (set)
                {
                    _response.Headers.Add(new("Location", valueText));
                }
                return set;
            }
            if (Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
            {
                string? contentType = _response.ContentType;
                bool set = TrySetOnce(ref contentType, valueText, "Content-Type", out error);
                _response.ContentType = contentType;
                if (set)
                {
                    _response.Headers.Add(new("Content-Type", valueText));
                }
                return set;
            }
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!GatewayRequest.TryParseLength(value, out long length)
                    || (_response.ContentLength is { } previous && previous != length))
                {
                    error = $"invalid Content-Length '{Describe(value)}' in the script's headers";
                    return false;
                }
                _response.ContentLength = length;
            }
            else if (HttpTokens.IsHopByHop(name))
            {
                // Connection, Transfer-Encoding and the like describe the server's own connection to the client.
                return true;
            }
            _response.Headers.Add(new(Encoding.Latin1.GetString(name), valueText));
            return true;
        }

        /// <summary>RFC 3875 §6.3: "each CGI field MUST NOT appear more than once in the response".</summary>
        private static bool TrySetOnce(ref string? field, string value, string name, out string? error)
        {
            if (field is not null)
            {
                error = $"the script sent {name} twice; a CGI field may appear once (RFC 3875 §6.3)";
                return false;
            }
            field = value;
            error = null;
            return true;
        }

        public bool TryBuild(out CgiResponse? response, out string? error)
        {
            response = null;
            int? status = null;
            if (_status is not null)
            {
                if (!TryParseStatus(_status, out int code, out string? reason, out error))
                {
                    return false;
                }
                status = code;
                _response.ReasonPhrase = reason;
            }
            string? location = _response.Location;
            if (location is not null && location.Length > 0 && (status is null or 200))
            {
                if (location[0] == '/')
                {
                    // §6.2.2; Apache's mod_cgi redirects internally for the same test.
                    _response.Kind = CgiResponseKind.LocalRedirect;
                    _response.StatusCode = 200;
                    _response.Headers.RemoveAll(field => field.Key == "Location");
                }
                else
                {
                    _response.Kind = CgiResponseKind.ClientRedirect;
                    _response.StatusCode = 302;
                    _response.ReasonPhrase = null;
                }
            }
            else
            {
                _response.Kind = location is null ? CgiResponseKind.Document : CgiResponseKind.ClientRedirectWithDocument;
                _response.StatusCode = status ?? 200;
            }
            response = _response;
            error = null;
            return true;
        }

        /// <summary>RFC 3875 §6.3.3: <c>Status: 3digit SP reason-phrase</c>; the reason may be left out, as Apache
        /// and nginx allow.</summary>
        private static bool TryParseStatus(string value, out int code, out string? reason, out string? error)
        {
            code = 0;
            reason = null;
            if (value.Length < 3 || !char.IsAsciiDigit(value[0]) || !char.IsAsciiDigit(value[1])
                || !char.IsAsciiDigit(value[2]) || (value.Length > 3 && value[3] != ' '))
            {
                error = $"invalid Status '{value}' from the script: expected e.g. 'Status: 404 Not Found'";
                return false;
            }
            code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
            if (code < 200)
            {
                error = $"Status {code} from the script cannot be a final response (RFC 9110 §15.2)";
                return false;
            }
            string phrase = value.Length > 4 ? value[4..].Trim() : "";
            reason = phrase.Length == 0 || phrase == ReasonPhrases.For(code) ? null : phrase;
            error = null;
            return true;
        }
    }

    /// <summary>Field values allow HTAB and obs-text, but no other control character (RFC 9110 §5.5).</summary>
    private static bool ContainsControl(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return true;
            }
        }
        return false;
    }

    private static string Describe(ReadOnlySpan<byte> bytes) => GatewayRequest.Describe(bytes);
}
