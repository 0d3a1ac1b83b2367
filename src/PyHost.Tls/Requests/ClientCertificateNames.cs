using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PyHost.Tls.Requests;

/// <summary>
/// A client certificate's names as apps read them from mod_ssl and nginx: SSL_CLIENT_S_DN and SSL_CLIENT_I_DN in
/// RFC 4514 form, most specific first, comma-separated ("CN=alice,O=Example"), as nginx's $ssl_client_s_dn (since
/// 1.11.6) and mod_ssl without LegacyDNStringFormat write them.
/// </summary>
public static class ClientCertificateNames
{
    public static string Format(X500DistinguishedName name)
    {
        if (name.EnumerateRelativeDistinguishedNames().Any(part => part.HasMultipleElements))
        {
            // Multi-valued RDNs ("CN=a+UID=b") are rare; the platform's own form keeps them whole.
            return name.Decode(X500DistinguishedNameFlags.UseCommas);
        }
        var text = new StringBuilder();
        foreach (X500RelativeDistinguishedName part in name.EnumerateRelativeDistinguishedNames(reversed: true))
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }
            string type = part.GetSingleElementType().FriendlyName switch
            {
                "CN" or "C" or "L" or "S" or "ST" or "O" or "OU" or "DC" or "E" => ShortName(part.GetSingleElementType().FriendlyName!),
                _ => part.GetSingleElementType().Value ?? "?",
            };
            text.Append(type).Append('=');
            AppendEscaped(text, part.GetSingleElementValue() ?? "");
        }
        return text.ToString();
    }

    private static string ShortName(string friendly) => friendly switch
    {
        "S" => "ST",
        "E" => "emailAddress",
        _ => friendly,
    };

    /// <summary>RFC 4514 §2.4: escape the specials, a leading '#' or space and a trailing space.</summary>
    private static void AppendEscaped(StringBuilder text, string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool special = c is ',' or '+' or '"' or '\\' or '<' or '>' or ';' or '='
                           || (i == 0 && c is '#' or ' ')
                           || (i == value.Length - 1 && c == ' ');
            if (special)
            {
                text.Append('\\');
            }
            text.Append(c);
        }
    }
}
