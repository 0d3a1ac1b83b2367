using System.Globalization;

namespace PyHost.Http.Compression;

/// <summary>
/// Chooses a response's content coding from the request's Accept-Encoding (RFC 9110 §12.5.3) and the codings the
/// server offers, in its order of preference.
/// <list type="bullet">
/// <item>No Accept-Encoding, or an empty one: identity. The RFC would allow any coding without the field; a client
/// that says nothing gets what it surely understands.</item>
/// <item>A coding is acceptable with its own q, else with the q of <c>*</c>, else not at all; q=0 means "not
/// acceptable" (§12.4.2). "x-gzip" is gzip.</item>
/// <item>Identity is acceptable unless <c>identity;q=0</c>, or <c>*;q=0</c> without an identity entry; it wins only
/// with a q strictly above the best offered coding's.</item>
/// <item>Among codings of equal q the server's order decides.</item>
/// <item>When nothing offered is acceptable, identity anyway: §12.1 lets a server disregard the field rather than
/// answer 406, which is what browsers and proxies expect.</item>
/// </list>
/// </summary>
public static class AcceptEncoding
{
    public static ContentCoding Negotiate(string? header, IReadOnlyList<ContentCoding> offered)
    {
        if (string.IsNullOrWhiteSpace(header) || offered.Count == 0)
        {
            return ContentCoding.Identity;
        }
        Span<int> quality = stackalloc int[4];   // per ContentCoding, in thousandths; -1: not listed
        quality.Fill(-1);
        int any = -1;
        foreach (Range itemRange in header.AsSpan().Split(','))
        {
            ReadOnlySpan<char> item = header.AsSpan()[itemRange].Trim();
            if (item.IsEmpty)
            {
                continue;
            }
            int semicolon = item.IndexOf(';');
            ReadOnlySpan<char> token = (semicolon < 0 ? item : item[..semicolon]).Trim();
            if (!TryReadQuality(semicolon < 0 ? [] : item[(semicolon + 1)..], out int q))
            {
                continue;   // a malformed weight: ignore that member, not the whole field
            }
            if (token is "*")
            {
                any = Math.Max(any, q);
            }
            else if (ContentCodings.TryParse(token, out ContentCoding coding))
            {
                quality[(int)coding] = Math.Max(quality[(int)coding], q);
            }
        }

        ContentCoding best = ContentCoding.Identity;
        int bestQuality = 0;
        foreach (ContentCoding coding in offered)
        {
            int q = quality[(int)coding] >= 0 ? quality[(int)coding] : Math.Max(any, 0);
            if (q > bestQuality)
            {
                best = coding;
                bestQuality = q;
            }
        }
        if (best == ContentCoding.Identity)
        {
            return ContentCoding.Identity;
        }
        int identity = quality[(int)ContentCoding.Identity] >= 0 ? quality[(int)ContentCoding.Identity] : (any >= 0 ? any : 1);
        return identity > bestQuality ? ContentCoding.Identity : best;
    }

    /// <summary>
    /// The weight among the parameters after a coding: <c>q=</c> with "0", "0.###", "1" or "1.000" (§12.4.2),
    /// 1000 when absent. Other parameters are ignored. False for a malformed weight.
    /// </summary>
    private static bool TryReadQuality(ReadOnlySpan<char> parameters, out int thousandths)
    {
        thousandths = 1000;
        foreach (Range parameterRange in parameters.Split(';'))
        {
            ReadOnlySpan<char> parameter = parameters[parameterRange].Trim();
            int equals = parameter.IndexOf('=');
            if (equals < 0 || !parameter[..equals].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            ReadOnlySpan<char> value = parameter[(equals + 1)..].Trim();
            if (value.IsEmpty || value.Length > 5 || (value[0] != '0' && value[0] != '1') || (value.Length > 1 && value[1] != '.'))
            {
                return false;
            }
            if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal weight) || weight > 1)
            {
                return false;
            }
            thousandths = (int)(weight * 1000);
        }
        return true;
    }
}
