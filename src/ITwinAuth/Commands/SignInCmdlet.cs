using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Completion;
using ITwinAuth.Core;
using ITwinAuth.Secrets;

namespace ITwinAuth.Commands;

/// <summary>
/// What Connect-ITwin and Get-ITwinServiceToken share: where the app comes from (a vault, a
/// PSCredential, -ClientId/-ClientSecret, or the environment variables), where it signs in and
/// what it calls, how it reaches them (a proxy), and the sign-in itself. No parameter is
/// positional: a SecureString or a name can never land in the wrong place.
/// </summary>
public abstract class SignInCmdlet : AsyncPSCmdlet
{
    public const string EnvironmentVariablesSet = "EnvironmentVariables";
    public const string ClientSecretSet = "ClientSecret";
    public const string CredentialSet = "Credential";
    public const string VaultSet = "Vault";

    [Parameter(ParameterSetName = ClientSecretSet)]
    [Parameter(ParameterSetName = VaultSet)]
    [Parameter(ParameterSetName = EnvironmentVariablesSet)]
    public string? ClientId { get; set; }

    [Parameter(ParameterSetName = ClientSecretSet, Mandatory = true)]
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

    /// <summary>The platform deployment: Production (default), QA or Dev.</summary>
    [Parameter]
    public ITwinEnvironment? Environment { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(AuthorityCompleter))]
    public string? Authority { get; set; }

    /// <summary>The API host the token is for (the one meaning of -ApiBaseUri on every cmdlet); here the connection's.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ApiBaseUriCompleter))]
    public string? ApiBaseUri { get; set; }

    [Parameter]
    public TimeSpan? RefreshMargin { get; set; }

    /// <summary>Requests a new token even when a fresh one is cached.</summary>
    [Parameter]
    [Alias("Force")]
    public SwitchParameter ForceRefresh { get; set; }

    /// <summary>The proxy every call of the connection goes through, identity calls included.</summary>
    [Parameter]
    public Uri? Proxy { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? ProxyCredential { get; set; }

    [Parameter]
    public SwitchParameter ProxyUseDefaultCredentials { get; set; }

    /// <summary>No proxy, whatever HTTPS_PROXY or the system's settings say.</summary>
    [Parameter]
    public SwitchParameter NoProxy { get; set; }

    /// <summary>Shares the token with other processes and machines through a SecretManagement vault: the
    /// one the secret came from, or -ShareTokenVault.</summary>
    [Parameter]
    public SwitchParameter ShareToken { get; set; }

    /// <summary>The vault that shares the token (implies -ShareToken).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VaultNameCompleter))]
    public string? ShareTokenVault { get; set; }

    /// <summary>True when -ShareToken or -ShareTokenVault asks for a shared token.</summary>
    private protected bool SharesToken => ShareToken || ShareTokenVault is not null;

    /// <summary>True when no credential parameter was given and no client secret is in the environment variables.</summary>
    private protected bool NoCredentialsGiven =>
        ParameterSetName == EnvironmentVariablesSet && !EnvironmentVariableCredentialSource.AnySecretSet;

    /// <summary>Reads the app once, resolves its settings, gets its token (from the cache or the authority).</summary>
    private protected async Task<(ServiceConnection Connection, ITwinAccessToken Token)> SignInAsync(CancellationToken cancellationToken)
    {
        if (RefreshMargin is { } margin && margin < TimeSpan.Zero)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "RefreshMargin cannot be negative.", "RefreshMargin");
        var proxy = ProxyFromParameters();
        CheckSharing();
        if (NoCredentialsGiven) throw MissingSecret();

        var source = Source();
        WarnAboutIgnoredHostVariables(source);
        var parameters = new AppSettings { ClientId = ClientId, Scopes = Scope, Authority = Authority, ApiBaseUri = ApiBaseUri };
        Log.Verbose($"Reading the client secret from: {source.Description}.");
        // One read: its credential seeds the first token request, so the source is not read twice.
        var reading = await AppReading.ReadAsync(source, parameters, Environment, Dispatcher, cancellationToken).ConfigureAwait(false);
        var settings = reading.Settings;
        Log.Verbose($"Signing in as '{settings.ClientId}' with the secret from {reading.Location}; authority {settings.Authority}, " +
                    $"API {settings.ApiBaseUri}, scope '{string.Join(" ", settings.Scopes)}' ({settings.Origins})" +
                    (proxy is null ? "." : $", through {proxy}."));
        var sharedIn = SharesToken ? (ShareTokenVault is null ? reading.Vault : await RegisteredVaultAsync(ShareTokenVault, cancellationToken).ConfigureAwait(false)) : null;
        if (sharedIn is not null) Log.Verbose($"The token is shared through the SecretManagement vault '{SecretManagementClient.Shown(sharedIn)}'.");
        var connection = new ServiceConnection(source, parameters, Environment, RefreshMargin, reading)
        {
            Proxy = proxy,
            SharedStore = sharedIn is null ? null : new VaultTokenStore(sharedIn),
        };
        var token = await ConnectionTokenSource.AcquireAsync(ITwinSession.Context, connection, reading.Credential, Dispatcher, ForceRefresh, Log, cancellationToken)
            .ConfigureAwait(false);
        if (TokenCache.IsMarginClamped(token.Lifetime, RefreshMargin))
            WriteWarningAsync($"-RefreshMargin {RefreshMargin} is not shorter than the token's lifetime ({TokenCache.Describe(token.Lifetime)}), " +
                $"so it would renew on every call; a margin of half the lifetime ({TokenCache.Describe(TokenCache.MarginFor(token.Lifetime, RefreshMargin))}) is used instead.");
        return (connection, token);
    }

    /// <summary>-ShareToken needs a vault: -ShareTokenVault, or the vault the secret comes from.</summary>
    private void CheckSharing()
    {
        // A name is shown (Get-ITwinConnection, messages): one that text cleaning would change (control or
        // bidirectional characters) is no vault's name.
        if (ShareTokenVault is { } vault && (vault.Trim().Length == 0 || vault.Length > 256 || ServerText.Line(vault, 256) != vault))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-ShareTokenVault needs the name of a registered SecretManagement vault (Get-SecretVault lists them), without control or " +
                "bidirectional characters.", "ShareTokenVault");
        if (ShareToken && ShareTokenVault is null && ParameterSetName != VaultSet)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-ShareToken shares the token through the vault the secret is read from, and this command names no vault secret " +
                "(-SecretName). Name the vault that shares it with -ShareTokenVault <name> (Get-SecretVault lists them), or sign in " +
                "with -SecretName; a connection made with -ShareToken keeps sharing without it.", "ShareToken");
    }

    /// <summary>The registered vault -ShareTokenVault names (SecretManagement's registry only: no vault is
    /// called), so that a misspelt name is an error, not a warning at every sign-in.</summary>
    private Task<string> RegisteredVaultAsync(string name, CancellationToken cancellationToken) =>
        Dispatcher.InvokeAsync(() =>
        {
            var vaults = new SecretManagementClient(SecretManagementClient.ReadDeadline, cancellationToken).VaultsInSearchOrder();
            foreach (var (vault, _) in vaults)
                if (string.Equals(vault, name, StringComparison.OrdinalIgnoreCase)) return vault;
            throw new ITwinAuthException(ITwinErrorIds.VaultNotFound, ITwinErrorCategory.ObjectNotFound,
                $"-ShareTokenVault names the vault '{SecretManagementClient.Shown(name)}', which is not registered" +
                (vaults.Count == 0 ? " (no vault is)" : $" (the vaults are {string.Join(", ", vaults.Select(v => $"'{SecretManagementClient.Shown(v.Name)}'"))})") +
                ". Give the name of a registered vault, or register one with Register-SecretVault.", name);
        }, cancellationToken);

    /// <summary>-Proxy and friends, checked before anything is read or sent.</summary>
    private ProxySettings? ProxyFromParameters()
    {
        if (NoProxy && (Proxy is not null || ProxyCredential is not null || ProxyUseDefaultCredentials))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "Give -NoProxy, or -Proxy (with -ProxyCredential or -ProxyUseDefaultCredentials), not both.", "NoProxy");
        if (Proxy is null && (ProxyCredential is not null || ProxyUseDefaultCredentials))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-ProxyCredential and -ProxyUseDefaultCredentials need -Proxy, the proxy they are for.", "Proxy");
        if (ProxyCredential is not null && ProxyUseDefaultCredentials)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "Give -ProxyCredential or -ProxyUseDefaultCredentials, not both.", "ProxyCredential");
        if (NoProxy) return ProxySettings.None;
        if (Proxy is null) return null;
        var credential = ProxyCredential is null ? null : new NetworkCredential(ProxyCredential.UserName, ProxyCredential.Password);
        return ProxySettings.Through(Proxy, credential, ProxyUseDefaultCredentials);
    }

    /// <summary>A client id without a secret: say which secret is missing and where to put it.</summary>
    private ITwinAuthException MissingSecret()
    {
        var variable = EnvironmentVariableCredentialSource.FirstSet(EnvironmentVariableCredentialSource.ClientIdVariables);
        var clientId = ClientId ?? variable?.Value;
        if (string.IsNullOrWhiteSpace(clientId)) return EnvironmentVariableCredentialSource.NoCredentials();
        var from = ClientId is not null ? "-ClientId" : variable!.Value.Name;
        return new ITwinAuthException(ITwinErrorIds.ClientSecretMissing, ITwinErrorCategory.InvalidArgument,
            $"The client id '{clientId!.Trim()}' was given ({from}) but no client secret. Give -ClientSecret (a SecureString) with -ClientId, " +
            $"-Credential, or set {EnvironmentVariableCredentialSource.ClientSecretVariables[0]}.", from);
    }

    /// <summary>ITWIN_AUTHORITY and ITWIN_API_BASE_URI belong to the environment-variable source; say so when they are
    /// set but not used, so a sign-in that then goes to production is not a mystery.</summary>
    private void WarnAboutIgnoredHostVariables(CredentialSource source)
    {
        if (source.Kind == CredentialSourceKind.EnvironmentVariables) return;
        var ignored = new[]
            {
                Authority is null ? EnvironmentVariableCredentialSource.FirstSet(EnvironmentVariableCredentialSource.AuthorityVariables)?.Name : null,
                ApiBaseUri is null ? EnvironmentVariableCredentialSource.FirstSet(EnvironmentVariableCredentialSource.ApiBaseUriVariables)?.Name : null,
            }
            .Where(name => name is not null).ToArray();
        if (ignored.Length > 0)
            WriteWarningAsync($"{string.Join(" and ", ignored)} {(ignored.Length == 1 ? "is set but applies" : "are set but apply")} only when the secret comes from the " +
                "environment variables; this sign-in uses -Authority/-ApiBaseUri, the secret's own settings, -Environment or production instead.");
    }

    /// <summary>Where the app comes from. Which setting wins is decided in the core: see SettingsResolver.</summary>
    private CredentialSource Source() => ParameterSetName switch
    {
        ClientSecretSet => new StaticCredentialSource(null, ClientSecret!, CredentialSourceKind.Direct),
        CredentialSet => new StaticCredentialSource(Credential!.UserName, Credential.Password, CredentialSourceKind.Credential),
        VaultSet => new VaultCredentialSource(SecretName!, Vault),
        _ => new EnvironmentVariableCredentialSource(),
    };
}
