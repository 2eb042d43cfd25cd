using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>
/// A secret in a SecretManagement vault. Accepts what a vault holds: a PSCredential (user name =
/// client id), a SecureString or string (client id from -ClientId or metadata), or a Hashtable with
/// ClientId and ClientSecret (and optionally Scope, Authority, ApiBaseUri). One read is one
/// Get-Secret on one vault, plus one Get-SecretInfo on that same vault only when the parameters and
/// the secret leave a setting open; a renewal reads exactly the same way.
/// </summary>
internal sealed class VaultCredentialSource : CredentialSource
{
    private readonly string _secretName;
    private readonly string? _vault;

    public VaultCredentialSource(string secretName, string? vault)
    {
        _secretName = secretName;
        _vault = vault;
    }

    public override CredentialSourceKind Kind => CredentialSourceKind.Vault;

    public override string Description => _vault is null
        ? $"SecretManagement secret '{_secretName}' (searched from the default vault)"
        : Location(_vault, _secretName);

    public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() => Read(parameters), cancellationToken);

    public override ITwinAuthException MissingClientId() => MissingClientId(_secretName);

    /// <summary>Reads and interprets the secret; runs on the pipeline thread.</summary>
    private SourceReading Read(AppSettings parameters)
    {
        var (stored, vault) = _vault is null
            ? SecretManagementClient.FindSecret(_secretName)
            : (SecretManagementClient.ReadSecret(_secretName, _vault), _vault);
        var (secret, own) = Interpret(_secretName, stored);
        var layers = new List<SettingsLayer> { new(SettingOrigin.Secret, own) };
        if (!parameters.Over(own).IsComplete && SecretManagementClient.ReadMetadata(_secretName, vault) is { } metadata)
            layers.Add(new SettingsLayer(SettingOrigin.Metadata, Settings(metadata)));
        RecentSecrets.Remember(vault, _secretName);
        return new SourceReading(secret, layers, Location(vault, _secretName));
    }

    private static string Location(string vault, string secretName) => $"SecretManagement vault '{vault}' secret '{secretName}'";

    private static (SecureString Secret, AppSettings Own) Interpret(string name, object stored)
    {
        switch (stored)
        {
            case PSCredential credential:
                return (credential.Password, new AppSettings { ClientId = AppSettings.Clean(credential.UserName) });
            case SecureString secure:
                return (secure, AppSettings.None);
            case string text:
                return (SecretText.ToSecureString(text), AppSettings.None);
            case IDictionary table:
                var secret = Value(table, "ClientSecret") switch
                {
                    SecureString s => s,
                    string s => SecretText.ToSecureString(s),
                    _ => throw Unusable(name, "a Hashtable without a ClientSecret key (it needs ClientId and ClientSecret)"),
                };
                return (secret, Settings(table));
            default:
                throw Unusable(name, $"a {stored.GetType().Name}");
        }
    }

    private static AppSettings Settings(IDictionary table) => new()
    {
        ClientId = AppSettings.Clean(Text(Value(table, "ClientId"))),
        Scopes = AppSettings.CleanScopes(Text(Value(table, "Scope"))),
        Authority = AppSettings.Clean(Text(Value(table, "Authority"))),
        ApiBaseUri = AppSettings.Clean(Text(Value(table, "ApiBaseUri"))),
    };

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
                return PowerShellValues.Unwrap(entry.Value);
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
