using System;
using System.Collections;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>What a vault secret (and its metadata) says about the app.</summary>
internal sealed class VaultSecret
{
    public string? ClientId { get; set; }
    public SecureString? Secret { get; set; }
    public string? Scope { get; set; }
    public string? Authority { get; set; }
    public string? ApiBaseUri { get; set; }
}

/// <summary>
/// A secret in a SecretManagement vault, read again whenever a token must be renewed. Accepts what a
/// vault holds: a PSCredential (user name = client id), a SecureString or string (client id from
/// -ClientId or metadata), or a Hashtable with ClientId and ClientSecret.
/// </summary>
internal sealed class VaultCredentialSource : CredentialSource
{
    private readonly string _secretName;
    private readonly string? _vault;
    private readonly string? _clientId;

    public VaultCredentialSource(string secretName, string? vault, string? clientId)
    {
        _secretName = secretName;
        _vault = vault;
        _clientId = clientId;
    }

    public override CredentialSourceKind Kind => CredentialSourceKind.Vault;

    public override string Description => _vault is null
        ? $"SecretManagement secret '{_secretName}' (default vault)"
        : $"SecretManagement vault '{_vault}' secret '{_secretName}'";

    public override Task<ServiceCredential> ResolveAsync(IPipelineDispatcher dispatcher, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() =>
        {
            var secret = Read(_secretName, _vault, withMetadata: _clientId is null);
            var clientId = _clientId ?? secret.ClientId;
            if (string.IsNullOrWhiteSpace(clientId)) throw MissingClientId(_secretName);
            return new ServiceCredential(clientId!, secret.Secret!);
        }, cancellationToken);

    /// <summary>Reads and interprets the secret; runs on the pipeline thread.</summary>
    public static VaultSecret Read(string name, string? vault, bool withMetadata)
    {
        var stored = SecretManagementClient.ReadSecret(name, vault);
        var result = new VaultSecret();
        switch (stored)
        {
            case PSCredential credential:
                result.ClientId = credential.UserName;
                result.Secret = credential.Password;
                break;
            case SecureString secure:
                result.Secret = secure;
                break;
            case string text:
                result.Secret = SecretText.ToSecureString(text);
                break;
            case IDictionary table:
                result.ClientId = Text(Value(table, "ClientId"));
                result.Secret = Value(table, "ClientSecret") switch
                {
                    SecureString s => s,
                    string s => SecretText.ToSecureString(s),
                    _ => null,
                };
                result.Scope = Text(Value(table, "Scope"));
                result.Authority = Text(Value(table, "Authority"));
                result.ApiBaseUri = Text(Value(table, "ApiBaseUri"));
                if (result.Secret is null)
                    throw Unusable(name, "a Hashtable without a ClientSecret key (it needs ClientId and ClientSecret)");
                break;
            default:
                throw Unusable(name, $"a {stored.GetType().Name}");
        }

        if (withMetadata || result.Scope is null || result.Authority is null)
        {
            var metadata = SecretManagementClient.ReadMetadata(name, vault);
            if (metadata is not null)
            {
                result.ClientId ??= Text(Value(metadata, "ClientId"));
                result.Scope ??= Text(Value(metadata, "Scope"));
                result.Authority ??= Text(Value(metadata, "Authority"));
                result.ApiBaseUri ??= Text(Value(metadata, "ApiBaseUri"));
            }
        }
        return result;
    }

    public static ITwinAuthException MissingClientId(string secretName) =>
        new(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument,
            $"The secret '{secretName}' holds no client id. Give -ClientId, store a PSCredential whose user name is the client id, " +
            $"or add it as metadata: Set-SecretInfo -Name {secretName} -Metadata @{{ ClientId = 'service-...' }}.", secretName);

    private static ITwinAuthException Unusable(string name, string what) =>
        new(ITwinErrorIds.SecretTypeNotSupported, ITwinErrorCategory.InvalidType,
            $"The secret '{name}' is {what}, which cannot hold a service app. Store a PSCredential " +
            "(user name = client id, password = client secret), a SecureString with ClientId metadata, " +
            "or a Hashtable with ClientId and ClientSecret.", name);

    private static object? Value(IDictionary table, string key)
    {
        foreach (DictionaryEntry entry in table)
            if (string.Equals(entry.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase))
                return entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
        return null;
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        SecureString s => SecretText.Use(s, t => t),
        string[] many => string.Join(" ", many),
        object[] many => string.Join(" ", many),
        _ => value.ToString(),
    };
}
