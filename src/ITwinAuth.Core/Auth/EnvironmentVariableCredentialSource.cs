using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Credentials and settings from environment variables, read again at every renewal so a
/// pipeline's rotated secret is picked up. ITwinAuth's own names win over the iTwin CLI's (ITP_*).
/// </summary>
public sealed class EnvironmentVariableCredentialSource : CredentialSource
{
    public static readonly IReadOnlyList<string> ClientIdVariables = Array.AsReadOnly(new[] { "ITWIN_CLIENT_ID", "ITP_SERVICE_CLIENT_ID" });
    public static readonly IReadOnlyList<string> ClientSecretVariables = Array.AsReadOnly(new[] { "ITWIN_CLIENT_SECRET", "ITP_SERVICE_CLIENT_SECRET" });
    public static readonly IReadOnlyList<string> ScopeVariables = Array.AsReadOnly(new[] { "ITWIN_SCOPE" });
    public static readonly IReadOnlyList<string> AuthorityVariables = Array.AsReadOnly(new[] { "ITWIN_AUTHORITY", "ITP_ISSUER_URL" });
    public static readonly IReadOnlyList<string> ApiBaseUriVariables = Array.AsReadOnly(new[] { "ITWIN_API_BASE_URI", "ITP_API_URL" });

    public override CredentialSourceKind Kind => CredentialSourceKind.EnvironmentVariables;

    public override string Description
    {
        get
        {
            var secretVariable = FirstSet(ClientSecretVariables)?.Name ?? ClientSecretVariables[0];
            return $"Environment variable {secretVariable}";
        }
    }

    /// <summary>The first variable of the list that is set and not blank.</summary>
    public static (string Name, string Value)? FirstSet(IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            var value = System.Environment.GetEnvironmentVariable(name);
            if (!string.IsNullOrWhiteSpace(value)) return (name, value!);
        }
        return null;
    }

    public static bool AnySecretSet => FirstSet(ClientSecretVariables) is not null;

    /// <summary>The secret and the ITWIN_*/ITP_* settings, read now (a pipeline's rotated secret is picked up).</summary>
    public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken)
    {
        var secret = FirstSet(ClientSecretVariables) ?? throw NoCredentials();
        var stored = new AppSettings
        {
            ClientId = FirstSet(ClientIdVariables)?.Value.Trim(),
            Scopes = AppSettings.CleanScopes(FirstSet(ScopeVariables)?.Value),
            Authority = FirstSet(AuthorityVariables)?.Value.Trim(),
            ApiBaseUri = FirstSet(ApiBaseUriVariables)?.Value.Trim(),
        };
        return Task.FromResult(new SourceReading(SecretText.ToSecureString(secret.Value),
            new[] { new SettingsLayer(SettingOrigin.EnvironmentVariable, stored) }, $"Environment variable {secret.Name}"));
    }

    public override ITwinAuthException MissingClientId() =>
        new(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument,
            $"The client secret comes from an environment variable but no client id does: set {string.Join(" or ", ClientIdVariables)}, or give -ClientId.",
            ClientIdVariables[0]);

    public static ITwinAuthException NoCredentials() =>
        new(ITwinErrorIds.NoCredentials, ITwinErrorCategory.AuthenticationError,
            "No credentials were given. Use -Vault/-SecretName (SecretManagement), -Credential, -ClientId with -ClientSecret, " +
            $"or set the environment variables {string.Join("/", ClientIdVariables.Take(1))} and {ClientSecretVariables[0]} " +
            $"(the iTwin CLI's {ClientIdVariables[1]} and {ClientSecretVariables[1]} work too).");
}
