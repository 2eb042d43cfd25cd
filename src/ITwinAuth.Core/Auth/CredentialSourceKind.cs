namespace ITwinAuth.Core;

/// <summary>Where a connection's secret is read: one value per parameter set of Connect-ITwin.</summary>
public enum CredentialSourceKind
{
    /// <summary>-ClientSecret (a SecureString kept in memory).</summary>
    Direct,

    /// <summary>-Credential (a PSCredential kept in memory).</summary>
    Credential,

    /// <summary>ITWIN_CLIENT_SECRET (or ITP_SERVICE_CLIENT_SECRET), read again at every renewal. Never
    /// called just "Environment": that word means the -Environment deployment (Production, QA, Dev).</summary>
    EnvironmentVariables,

    /// <summary>A SecretManagement vault (-Vault, -SecretName).</summary>
    Vault,
}
