using System.Text;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>
/// One request and its response as the comparison sees them: the status, the header fields that matter to a
/// client, and the body, all normalised (the server's own address, dates, tokens masked).
/// </summary>
public sealed record Exchange(string Request, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    public override string ToString()
    {
        var text = new StringBuilder($"{Request} -> {Status}\n");
        foreach (var (name, value) in Headers)
        {
            text.Append($"  {name}: {value}\n");
        }
        return text.Append("  body: ").Append(Body.Length <= 2000 ? Body : Body[..2000] + $"... ({Body.Length} chars)").ToString();
    }

    public bool SameAs(Exchange other) =>
        Request == other.Request && Status == other.Status && Headers.SequenceEqual(other.Headers) && Body == other.Body;
}
