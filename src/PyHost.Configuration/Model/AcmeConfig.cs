using PyHost.Configuration.Keys;
using PyHost.Configuration.Keys.Types;

namespace PyHost.Configuration.Model;

/// <summary>An ACME challenge type PyHost answers itself (RFC 8555 §8.3, RFC 8737).</summary>
public enum AcmeChallengeType
{
    /// <summary>http-01: a file under /.well-known/acme-challenge/ on a plain listener (port 80).</summary>
    Http01,

    /// <summary>tls-alpn-01: a special certificate offered on a TLS listener (port 443) to the acme-tls/1 protocol.</summary>
    TlsAlpn01,
}

/// <summary>
/// <c>[acme]</c>: where certificates for sites with <c>tls = "auto"</c> come from (RFC 8555). Names with no public
/// domain (localhost, IP addresses) never go there: a local CA in the state directory signs them.
/// </summary>
public sealed record AcmeConfig
{
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

    /// <summary>The ACME directory URL (RFC 8555 §7.1.1).</summary>
    public string Directory { get; init; } = LetsEncrypt;

    /// <summary>Contact address for the account (expiry notices); none by default.</summary>
    public string? Email { get; init; }

    /// <summary>PEM CA certificates trusted for the ACME server's own HTTPS, for a private ACME CA; null = the system's.</summary>
    public string? CaRoot { get; init; }

    /// <summary>The challenge types answered, in order of preference.</summary>
    public IReadOnlyList<AcmeChallengeType> Challenges { get; init; } = [AcmeChallengeType.Http01, AcmeChallengeType.TlsAlpn01];

    private static readonly ChoiceType<AcmeChallengeType> ChallengeType =
        Types.Choice(("http-01", AcmeChallengeType.Http01), ("tls-alpn-01", AcmeChallengeType.TlsAlpn01));

    private static readonly TextType DirectoryUrl = new("an https:// URL", text =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps
            ? null
            : ($"'{text}' is not an https:// URL", "e.g. \"https://acme-staging-v02.api.letsencrypt.org/directory\""));

    private static readonly TextType EmailAddress = new("an email address", text =>
        text.Contains('@') && !text.Contains(' ') && !text.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)
            ? null
            : ($"'{text}' is not an email address", "write the address alone: \"admin@example.com\""));

    public static ConfigTable<AcmeConfig> Table { get; } = CreateTable();

    private static ConfigTable<AcmeConfig> CreateTable()
    {
        var table = new ConfigTable<AcmeConfig>("[acme]", "Where sites with tls = \"auto\" get their certificates (ACME, RFC 8555). Names with no public domain (localhost, IP addresses) get theirs from a local CA instead.", () => new AcmeConfig())
        {
            { "directory", DirectoryUrl, "The ACME directory URL. Default: Let's Encrypt; its staging directory, or any RFC 8555 CA's, may be given.", a => a.Directory, (a, v) => a with { Directory = v } },
            { "email", Types.Optional(EmailAddress), "Contact address given to the CA for the account (expiry and policy notices).", a => a.Email, (a, v) => a with { Email = v }, "none" },
            { "ca_root", Types.Optional(Types.Path), "PEM CA certificates trusted for the ACME server's own HTTPS (a private ACME CA). Default: the system's trust store.", a => a.CaRoot, (a, v) => a with { CaRoot = v }, "the system's" },
            { "challenges", Types.List(ChallengeType), "Challenge types PyHost answers, in order of preference: \"http-01\" (needs a plain listener on port 80), \"tls-alpn-01\" (a TLS listener on port 443).", a => a.Challenges, (a, v) => a with { Challenges = v } },
        };
        table.Check((acme, node, context, path) =>
        {
            if (acme.Challenges.Count == 0)
            {
                context.Error(node, ReadContext.Join(path, "challenges"), "at least one challenge type is needed", "challenges = [\"http-01\", \"tls-alpn-01\"]");
            }
            return acme;
        });
        return table;
    }
}
