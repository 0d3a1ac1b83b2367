using PyHost.Configuration.Model;
using PyHost.Http.Routing;

namespace PyHost.Hosting.Front;

/// <summary>What a <c>[[site]]</c> adds to every answer of its routes.</summary>
public static class SiteFrontFactory
{
    public static SiteFront For(SiteConfig site) => SiteFront.Plain(site);
}
