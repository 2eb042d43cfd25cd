using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>What Remove-Module releases: pooled connections, cached tokens, the current connection.
/// A later Import-Module starts afresh.</summary>
public static class ModuleLifetime
{
    public static void Release()
    {
        ITwinSession.Current = null;
        TokenCache.Shared.Clear();
        OidcDiscovery.Forget();
        SharedHttpClient.Reset();
        RateLimitGate.Reset();
    }
}
