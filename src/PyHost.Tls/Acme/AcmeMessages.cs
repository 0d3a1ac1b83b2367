using System.Text.Json.Serialization;

namespace PyHost.Tls.Acme;

// The ACME objects PyHost reads and writes (RFC 8555 §7.1), as records the source generator serializes: no reflection,
// so the server still publishes as NativeAOT. Unknown fields are ignored, as §7.1 asks of clients.

/// <summary>§7.1.1: the directory of the server's endpoints.</summary>
public sealed record AcmeDirectory(
    [property: JsonPropertyName("newNonce")] string NewNonce,
    [property: JsonPropertyName("newAccount")] string NewAccount,
    [property: JsonPropertyName("newOrder")] string NewOrder,
    [property: JsonPropertyName("meta")] AcmeDirectoryMeta? Meta);

public sealed record AcmeDirectoryMeta([property: JsonPropertyName("termsOfService")] string? TermsOfService);

/// <summary>§7.3: a newAccount request.</summary>
public sealed record AcmeNewAccount(
    [property: JsonPropertyName("termsOfServiceAgreed")] bool TermsOfServiceAgreed,
    [property: JsonPropertyName("contact"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Contact);

/// <summary>§9.7.7: identifier types: "dns", and "ip" (RFC 8738).</summary>
public sealed record AcmeIdentifier(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

/// <summary>§7.4: a newOrder request.</summary>
public sealed record AcmeNewOrder([property: JsonPropertyName("identifiers")] IReadOnlyList<AcmeIdentifier> Identifiers);

/// <summary>§7.1.3: an order.</summary>
public sealed record AcmeOrder(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("authorizations")] IReadOnlyList<string> Authorizations,
    [property: JsonPropertyName("finalize")] string Finalize,
    [property: JsonPropertyName("certificate")] string? Certificate,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

/// <summary>§7.1.4: an authorization.</summary>
public sealed record AcmeAuthorization(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("identifier")] AcmeIdentifier Identifier,
    [property: JsonPropertyName("challenges")] IReadOnlyList<AcmeChallenge> Challenges);

/// <summary>§7.1.5, §8: a challenge.</summary>
public sealed record AcmeChallenge(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

/// <summary>§7.4: the finalize request: the CSR, DER in base64url.</summary>
public sealed record AcmeFinalize([property: JsonPropertyName("csr")] string Csr);

/// <summary>§6.7: a problem document (RFC 7807).</summary>
public sealed record AcmeProblem(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("subproblems")] IReadOnlyList<AcmeProblem>? Subproblems)
{
    public const string BadNonce = "urn:ietf:params:acme:error:badNonce";

    public override string ToString()
    {
        string text = $"{Detail ?? "no detail"} ({Type ?? "no type"})";
        return Subproblems is { Count: > 0 } parts ? text + ": " + string.Join("; ", parts.Select(part => part.ToString())) : text;
    }
}

/// <summary>An empty JSON object: the payload that tells the server a challenge is ready (§7.5.1).</summary>
public sealed record AcmeEmpty;

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeNewAccount))]
[JsonSerializable(typeof(AcmeNewOrder))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeFinalize))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeEmpty))]
public sealed partial class AcmeJson : JsonSerializerContext;
