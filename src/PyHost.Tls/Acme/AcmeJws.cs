using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PyHost.Tls.Acme;

/// <summary>
/// ACME request signing (RFC 8555 §6.2): a JWS in flattened JSON serialization (RFC 7515 §7.2.2), ES256 (RFC 7518
/// §3.4: ECDSA P-256 with SHA-256, the signature as r||s, 64 bytes — .NET's IEEE P1363 format), with either the
/// account key itself ("jwk", for newAccount) or the account URL ("kid") in the protected header, and always the
/// nonce and the request URL.
/// </summary>
public sealed class AcmeJws(ECDsa accountKey)
{
    public ECDsa Key { get; } = accountKey;

    /// <summary>The public key as a JWK (RFC 7517; RFC 7518 §6.2.1).</summary>
    public void WriteJwk(Utf8JsonWriter json)
    {
        ECParameters parameters = Key.ExportParameters(includePrivateParameters: false);
        // Members in lexicographic order: the same text then serves the thumbprint (RFC 7638 §3.2).
        json.WriteStartObject();
        json.WriteString("crv", "P-256");
        json.WriteString("kty", "EC");
        json.WriteString("x", Base64Url(parameters.Q.X!));
        json.WriteString("y", Base64Url(parameters.Q.Y!));
        json.WriteEndObject();
    }

    /// <summary>RFC 7638 §3: SHA-256 of the JWK's required members, no whitespace, in lexicographic order; base64url.</summary>
    public string Thumbprint()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteJwk(json);
        }
        return Base64Url(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>RFC 8555 §8.1: token "." base64url(thumbprint of the account key).</summary>
    public string KeyAuthorization(string token) => token + "." + Thumbprint();

    /// <summary>
    /// The request body: <paramref name="payload"/> null is POST-as-GET (§6.3: an empty payload, not "{}").
    /// <paramref name="accountUrl"/> null sends the key itself (§6.2: newAccount only).
    /// </summary>
    public byte[] Sign(string url, string nonce, string? accountUrl, byte[]? payload)
    {
        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteString("alg", "ES256");
            if (accountUrl is null)
            {
                json.WritePropertyName("jwk");
                WriteJwk(json);
            }
            else
            {
                json.WriteString("kid", accountUrl);
            }
            json.WriteString("nonce", nonce);
            json.WriteString("url", url);
            json.WriteEndObject();
        }
        string protectedHeader = Base64Url(header.WrittenSpan);
        string encodedPayload = payload is null ? "" : Base64Url(payload);
        byte[] signingInput = Encoding.ASCII.GetBytes(protectedHeader + "." + encodedPayload);
        string signature = Base64Url(Key.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        var body = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("protected", protectedHeader);
            json.WriteString("payload", encodedPayload);
            json.WriteString("signature", signature);
            json.WriteEndObject();
        }
        return body.WrittenSpan.ToArray();
    }

    /// <summary>RFC 7515 §2: base64url without padding.</summary>
    public static string Base64Url(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);
}
