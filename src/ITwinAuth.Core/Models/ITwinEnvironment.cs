using System;

namespace ITwinAuth;

/// <summary>The iTwin Platform's deployments.</summary>
public enum ITwinEnvironment
{
    Production,
    QA,
    Dev,
}

public static class ITwinEndpoints
{
    public const string DefaultScope = "itwin-platform";

    /// <summary>The identity host of an environment. As the official client does, Dev signs in at QA's IMS.</summary>
    public static Uri AuthorityFor(ITwinEnvironment environment) => environment switch
    {
        ITwinEnvironment.QA or ITwinEnvironment.Dev => new Uri("https://qa-ims.bentley.com"),
        _ => new Uri("https://ims.bentley.com"),
    };

    public static Uri ApiBaseFor(ITwinEnvironment environment) => environment switch
    {
        ITwinEnvironment.QA => new Uri("https://qa-api.bentley.com"),
        ITwinEnvironment.Dev => new Uri("https://dev-api.bentley.com"),
        _ => new Uri("https://api.bentley.com"),
    };
}
