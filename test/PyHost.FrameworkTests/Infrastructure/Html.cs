using System.Net;
using System.Text.RegularExpressions;

namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>What a test reads off a page, as a person would: a hidden form field, a link, the text of an element.</summary>
public static partial class Html
{
    /// <summary>The value of the hidden input named <paramref name="name"/> (Django's csrfmiddlewaretoken).</summary>
    public static string HiddenField(RawHttpResponse page, string name)
    {
        Match match = new Regex($@"name=""{Regex.Escape(name)}""\s+value=""([^""]*)""").Match(page.BodyText);
        Assert.True(match.Success, $"No hidden field '{name}' on the page:\n{page}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The text inside the first element with the given class (<c>&lt;dd class="sha256"&gt;...&lt;/dd&gt;</c>).</summary>
    public static string ElementWithClass(RawHttpResponse page, string cssClass)
    {
        Match match = new Regex($@"class=""{Regex.Escape(cssClass)}"">([^<]*)<").Match(page.BodyText);
        Assert.True(match.Success, $"No element with class '{cssClass}' on the page:\n{page}");
        return WebUtility.HtmlDecode(match.Groups[1].Value).Trim();
    }

    /// <summary>Every href and src on the page that starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> LinksStartingWith(RawHttpResponse page, string prefix) =>
        LinkAttribute().Matches(page.BodyText).Select(match => match.Groups[1].Value).Where(link => link.StartsWith(prefix, StringComparison.Ordinal)).Distinct().ToList();

    [GeneratedRegex(@"(?:href|src)=""([^""]+)""")]
    private static partial Regex LinkAttribute();
}
