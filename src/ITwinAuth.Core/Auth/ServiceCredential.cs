using System;
using System.Security;

namespace ITwinAuth.Core;

/// <summary>A client id and its secret, resolved from some <see cref="CredentialSource"/> for one use.</summary>
public sealed class ServiceCredential
{
    public ServiceCredential(string clientId, SecureString secret)
    {
        if (string.IsNullOrWhiteSpace(clientId)) throw MissingClientId();
        if (secret is null || SecretText.IsBlank(secret))
            throw new ITwinAuthException(ITwinErrorIds.ClientSecretMissing, ITwinErrorCategory.InvalidArgument,
                $"The client secret for '{clientId.Trim()}' is empty. Give the secret shown when the app was registered.");
        ClientId = clientId.Trim();
        Secret = secret;
    }

    public string ClientId { get; }
    public SecureString Secret { get; }

    /// <summary>The one "no client id" error; a source may name where it looked (<paramref name="target"/>).</summary>
    public static ITwinAuthException MissingClientId(string? target = "ClientId", string? where = null) =>
        new(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument,
            (where ?? "The client id is empty.") + " Give the service application's client id (it looks like 'service-xxxxxxxx').", target);
}
