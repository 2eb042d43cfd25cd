namespace ITwinAuth;

/// <summary>What Remove-Module releases: pooled connections, cached tokens, rate-limit pauses, the
/// current connection. A later Import-Module starts afresh.</summary>
public static class ModuleLifetime
{
    public static void Release() => ITwinSession.Release();
}
