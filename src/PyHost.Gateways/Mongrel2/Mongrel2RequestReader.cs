using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PyHost.Gateways.Mongrel2;

/// <summary>
/// Reads a Mongrel2 request message: <c>UUID SP ID SP PATH SP HEADERS BODY</c>, HEADERS a tnetstring dictionary
/// (Mongrel2's "tnetstring" handler protocol) or a netstring of a JSON object (its older "json" protocol), BODY a
/// tnetstring string. ZeroMQ delivers whole messages, so <see cref="Read"/> is the usual entry;
/// <see cref="TryRead"/> has the shape of every codec here.
/// </summary>
public static class Mongrel2RequestReader
{
    // A Mongrel2 UUID is 36 characters; some configurations use any name of letters, digits and '-'.
    private const int MaxSenderLength = 128;

    /// <summary>A whole ZeroMQ message: <see cref="OperationStatus.Done"/> or <see cref="OperationStatus.InvalidData"/>.</summary>
    public static OperationStatus Read(ReadOnlySequence<byte> message, GatewayLimits limits, int maxBodyBytes,
        out Mongrel2Request? request, out string? error)
    {
        var reader = new SequenceReader<byte>(message);
        OperationStatus status = TryRead(ref reader, limits, maxBodyBytes, out request, out error);
        if (status == OperationStatus.NeedMoreData)
        {
            error = "the Mongrel2 message ends before its body does";
            return OperationStatus.InvalidData;
        }
        if (status == OperationStatus.Done && !reader.End)
        {
            request = null;
            error = $"{reader.Remaining} bytes follow the Mongrel2 message's body";
            return OperationStatus.InvalidData;
        }
        return status;
    }

    public static OperationStatus TryRead(ref SequenceReader<byte> reader, GatewayLimits limits, int maxBodyBytes,
        out Mongrel2Request? request, out string? error)
    {
        request = null;
        var scan = reader;
        OperationStatus status = TryReadField(ref scan, MaxSenderLength, "sender UUID", out ReadOnlySequence<byte> sender, out error);
        if (status == OperationStatus.Done)
        {
            status = TryReadField(ref scan, 18, "connection id", out ReadOnlySequence<byte> id, out error);
            if (status == OperationStatus.Done)
            {
                status = TryReadField(ref scan, limits.MaxVariablesBytes, "path", out ReadOnlySequence<byte> path, out error);
                if (status == OperationStatus.Done)
                {
                    status = TryReadRest(ref scan, limits, maxBodyBytes, sender, id, path, out request, out error);
                }
            }
        }
        if (status == OperationStatus.Done)
        {
            reader = scan;
        }
        return status;
    }

    /// <summary>A field up to the next space; the space is consumed.</summary>
    private static OperationStatus TryReadField(ref SequenceReader<byte> reader, int maxLength, string what,
        out ReadOnlySequence<byte> field, out string? error)
    {
        error = null;
        if (!reader.TryReadTo(out field, (byte)' '))
        {
            if (reader.Remaining > maxLength)
            {
                error = $"the Mongrel2 message's {what} is longer than {maxLength} bytes or not followed by a space";
                return OperationStatus.InvalidData;
            }
            return OperationStatus.NeedMoreData;
        }
        if (field.IsEmpty || field.Length > maxLength)
        {
            error = field.IsEmpty ? $"the Mongrel2 message's {what} is empty" : $"the Mongrel2 message's {what} is longer than {maxLength} bytes";
            return OperationStatus.InvalidData;
        }
        return OperationStatus.Done;
    }

    private static OperationStatus TryReadRest(ref SequenceReader<byte> reader, GatewayLimits limits, int maxBodyBytes,
        ReadOnlySequence<byte> senderBytes, ReadOnlySequence<byte> idBytes, ReadOnlySequence<byte> pathBytes,
        out Mongrel2Request? request, out string? error)
    {
        request = null;
        string sender = Encoding.Latin1.GetString(senderBytes);
        if (!sender.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            error = $"the Mongrel2 sender '{sender}' is not a UUID (letters, digits and '-')";
            return OperationStatus.InvalidData;
        }
        if (!GatewayRequest.TryParseLength(idBytes.ToArray(), out long connectionId))
        {
            error = $"the Mongrel2 connection id '{GatewayRequest.Describe(idBytes.ToArray())}' is not a number";
            return OperationStatus.InvalidData;
        }

        var headerLimits = new TNetstringLimits { MaxBytes = limits.MaxVariablesBytes, MaxItems = limits.MaxVariableCount, MaxDepth = 3 };
        OperationStatus status = TNetstringReader.TryRead(ref reader, headerLimits, out TNetstring? headers, out error);
        if (status != OperationStatus.Done)
        {
            error = error is null ? null : $"Mongrel2 headers: {error}";
            return status;
        }
        var bodyLimits = new TNetstringLimits { MaxBytes = maxBodyBytes, MaxDepth = 1 };
        status = TNetstringReader.TryRead(ref reader, bodyLimits, out TNetstring? body, out error);
        if (status != OperationStatus.Done)
        {
            error = error is null ? null : $"Mongrel2 body: {error}";
            return status;
        }
        if (body!.Type != TNetstringType.String)
        {
            error = $"the Mongrel2 body is a tnetstring {body.Type}, not a string";
            return OperationStatus.InvalidData;
        }
        if (!TryReadHeaders(headers!, limits, out List<KeyValuePair<string, string>>? pairs, out error))
        {
            return OperationStatus.InvalidData;
        }
        request = new Mongrel2Request(sender, connectionId, Encoding.Latin1.GetString(pathBytes), pairs!, body.Bytes);
        return OperationStatus.Done;
    }

    private static bool TryReadHeaders(TNetstring headers, GatewayLimits limits,
        out List<KeyValuePair<string, string>>? pairs, out string? error)
    {
        pairs = [];
        error = null;
        if (headers.Type == TNetstringType.String)
        {
            return TryReadJsonHeaders(headers.Bytes.Span, limits, pairs, out error);
        }
        if (headers.Type != TNetstringType.Dictionary)
        {
            error = $"the Mongrel2 headers are a tnetstring {headers.Type}, not a dictionary";
            return false;
        }
        foreach (var (name, value) in headers.Entries)
        {
            string? text = value.Type switch
            {
                TNetstringType.String => value.Latin1,
                TNetstringType.Integer => value.Integer.ToString(CultureInfo.InvariantCulture),
                TNetstringType.List when value.Items.All(item => item.Type == TNetstringType.String)
                    => string.Join(", ", value.Items.Select(item => item.Latin1)),
                _ => null,
            };
            if (text is null)
            {
                error = $"Mongrel2 header '{name}' is a tnetstring {value.Type}, not a string or a list of strings";
                return false;
            }
            pairs.Add(new(name, text));
        }
        return true;
    }

    /// <summary>The "json" handler protocol: a JSON object of strings, or of lists of strings for repeated
    /// headers. Strings come back as the bytes they were (UTF-8), read as latin-1 like every native string.</summary>
    private static bool TryReadJsonHeaders(ReadOnlySpan<byte> json, GatewayLimits limits,
        List<KeyValuePair<string, string>> pairs, out string? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 3 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "the Mongrel2 JSON headers are not an object";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (pairs.Count == limits.MaxVariableCount)
                {
                    error = $"more than {limits.MaxVariableCount} Mongrel2 headers";
                    return false;
                }
                string name = Latin1String(ref reader);
                reader.Read();
                string? value = reader.TokenType switch
                {
                    JsonTokenType.String => Latin1String(ref reader),
                    JsonTokenType.StartArray => JoinStrings(ref reader),
                    _ => null,
                };
                if (value is null)
                {
                    error = $"Mongrel2 JSON header '{name}' is not a string or a list of strings";
                    return false;
                }
                pairs.Add(new(name, value));
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "the Mongrel2 JSON headers do not end with their object";
                return false;
            }
            return true;
        }
        catch (JsonException exception)
        {
            error = $"the Mongrel2 JSON headers are not valid JSON: {exception.Message}";
            return false;
        }
    }

    private static string? JoinStrings(ref Utf8JsonReader reader)
    {
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return null;
            }
            values.Add(Latin1String(ref reader));
        }
        return string.Join(", ", values);
    }

    private static string Latin1String(ref Utf8JsonReader reader)
    {
        byte[] bytes = new byte[reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length];
        int length = reader.CopyString(bytes);
        return Encoding.Latin1.GetString(bytes, 0, length);
    }
}
