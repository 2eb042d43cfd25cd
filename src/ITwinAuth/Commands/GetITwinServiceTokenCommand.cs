using System;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Completion;
using ITwinAuth.Core;
using ITwinAuth.Secrets;

namespace ITwinAuth.Commands;

/// <summary>Signs in as a service application (client credentials), caches the token, and makes the
/// app the session's current connection.</summary>
[Cmdlet(VerbsCommon.Get, "ITwinServiceToken", DefaultParameterSetName = EnvironmentSet)]
[OutputType(typeof(ITwinAccessToken))]
public sealed class GetITwinServiceTokenCommand : AsyncPSCmdlet
{
    public const string EnvironmentSet = "Environment";
    public const string ClientSecretSet = "ClientSecret";
    public const string CredentialSet = "Credential";
    public const string VaultSet = "Vault";

    [Parameter(ParameterSetName = ClientSecretSet, Position = 0)]
    [Parameter(ParameterSetName = VaultSet)]
    [Parameter(ParameterSetName = EnvironmentSet)]
    public string? ClientId { get; set; }

    [Parameter(ParameterSetName = ClientSecretSet, Mandatory = true, Position = 1)]
    public SecureString? ClientSecret { get; set; }

    [Parameter(ParameterSetName = CredentialSet, Mandatory = true)]
    public PSCredential? Credential { get; set; }

    [Parameter(ParameterSetName = VaultSet, Mandatory = true)]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string? SecretName { get; set; }

    [Parameter(ParameterSetName = VaultSet)]
    [ArgumentCompleter(typeof(VaultNameCompleter))]
    public string? Vault { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ScopeCompleter))]
    public string[]? Scope { get; set; }

    [Parameter]
    public ITwinEnvironment? Environment { get; set; }

    [Parameter]
    public string? Authority { get; set; }

    [Parameter]
    public string? ApiBaseUri { get; set; }

    [Parameter]
    public TimeSpan? RefreshMargin { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var token = await ConnectionTokenSource.AcquireAsync(connection, this, Force, Log, cancellationToken).ConfigureAwait(false);
        ITwinSession.Current = connection;
        if (TokenCache.IsMarginClamped(token.Lifetime, RefreshMargin))
            WriteWarningAsync($"-RefreshMargin {RefreshMargin} is not shorter than the token's lifetime ({TokenCache.Describe(token.Lifetime)}), " +
                $"so it would renew on every call; a margin of half the lifetime ({TokenCache.Describe(TokenCache.MarginFor(token.Lifetime, RefreshMargin))}) is used instead.");
        Log.Verbose($"Current connection: {connection.ClientId} at {connection.ApiBaseUri} ({(token.FromCache ? "token from cache" : "new token")}, expires {token.ExpiresOn:u}).");
        WriteObjectAsync(token);
    }

    /// <summary>Settings in order of strength: parameters, then the vault's metadata or Hashtable,
    /// then environment variables (environment source only), then -Environment, then production.</summary>
    private async Task<ITwinConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (RefreshMargin is { } margin && margin < TimeSpan.Zero)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "RefreshMargin cannot be negative.", "RefreshMargin");

        CredentialSource source;
        string clientId;
        string? scope = null, authority = null, apiBase = null;
        switch (ParameterSetName)
        {
            case ClientSecretSet:
                var direct = new ServiceCredential(ClientId ?? EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ClientIdVariables)?.Value ?? string.Empty, ClientSecret!);
                source = new StaticCredentialSource(direct, CredentialSourceKind.Direct);
                clientId = direct.ClientId;
                break;
            case CredentialSet:
                var fromCredential = new ServiceCredential(Credential!.UserName ?? string.Empty, Credential.Password);
                source = new StaticCredentialSource(fromCredential, CredentialSourceKind.Credential);
                clientId = fromCredential.ClientId;
                break;
            case VaultSet:
                Log.Verbose($"Reading secret '{SecretName}'{(Vault is null ? string.Empty : $" from vault '{Vault}'")} and its metadata.");
                var stored = await InvokeAsync(() => VaultCredentialSource.Read(SecretName!, Vault, withMetadata: true), cancellationToken).ConfigureAwait(false);
                var vaultClientId = ClientId ?? stored.ClientId;
                if (string.IsNullOrWhiteSpace(vaultClientId)) throw VaultCredentialSource.MissingClientId(SecretName!);
                var vaultCredential = new ServiceCredential(vaultClientId!, stored.Secret!);
                source = new VaultCredentialSource(SecretName!, Vault, vaultClientId);
                clientId = vaultCredential.ClientId;
                (scope, authority, apiBase) = (stored.Scope, stored.Authority, stored.ApiBaseUri);
                break;
            default:
                if (!EnvironmentCredentialSource.AnySecretSet) throw EnvironmentCredentialSource.NoCredentials();
                var fromEnvironment = new EnvironmentCredentialSource(ClientId);
                source = fromEnvironment;
                clientId = fromEnvironment.ClientId ?? string.Empty;
                if (string.IsNullOrWhiteSpace(clientId))
                    await fromEnvironment.ResolveAsync(this, cancellationToken).ConfigureAwait(false); // raises ClientIdMissing
                scope = EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ScopeVariables)?.Value;
                authority = EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.AuthorityVariables)?.Value;
                apiBase = EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ApiBaseUriVariables)?.Value;
                break;
        }

        var scopes = TokenClient.ValidateScopes(Scope ?? (scope is null ? null : new[] { scope }));
        var environment = Environment ?? ITwinEnvironment.Production;
        var authorityUri = Authority is not null || authority is not null
            ? EndpointPolicy.RequireUsable(Authority ?? authority, nameof(Authority))
            : ITwinEndpoints.AuthorityFor(environment);
        var apiBaseUri = ApiBaseUri is not null || apiBase is not null
            ? EndpointPolicy.RequireUsable(ApiBaseUri ?? apiBase, nameof(ApiBaseUri))
            : ITwinEndpoints.ApiBaseFor(environment);

        Log.Verbose($"Signing in as '{clientId}' with the secret from {source.Description}; authority {authorityUri}, API {apiBaseUri}, scope '{string.Join(" ", scopes)}'.");
        return new ITwinConnection(clientId, authorityUri, EndpointPolicy.AsBase(apiBaseUri), scopes, source, Environment, RefreshMargin);
    }
}
