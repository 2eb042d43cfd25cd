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
[Cmdlet(VerbsCommon.Get, "ITwinServiceToken", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Get-ITwinServiceToken.md", DefaultParameterSetName = EnvironmentVariablesSet)]
[OutputType(typeof(ITwinAccessToken))]
public sealed class GetITwinServiceTokenCommand : AsyncPSCmdlet
{
    public const string EnvironmentVariablesSet = "EnvironmentVariables";
    public const string ClientSecretSet = "ClientSecret";
    public const string CredentialSet = "Credential";
    public const string VaultSet = "Vault";

    [Parameter(ParameterSetName = ClientSecretSet, Position = 0)]
    [Parameter(ParameterSetName = VaultSet)]
    [Parameter(ParameterSetName = EnvironmentVariablesSet)]
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
        if (RefreshMargin is { } margin && margin < TimeSpan.Zero)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "RefreshMargin cannot be negative.", "RefreshMargin");

        if (ParameterSetName == EnvironmentVariablesSet && !EnvironmentCredentialSource.AnySecretSet)
        {
            // No secret anywhere: the current connection's token, if there is one (renewed if needed).
            if (ClientId is null && EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ClientIdVariables) is null &&
                ITwinSession.Current is { } current && Scope is null && Authority is null && ApiBaseUri is null && Environment is null)
            {
                Log.Verbose($"No credentials given: the current connection's token ({current.Settings.ClientId} at {current.ApiBaseUri}).");
                WriteObjectAsync(await new ConnectionTokenSource(ITwinSession.Context, current, Dispatcher, Log).GetTokenAsync(Force, cancellationToken).ConfigureAwait(false));
                return;
            }
            throw MissingSecret();
        }

        var source = Source();
        WarnAboutIgnoredHostVariables(source);
        var parameters = new AppSettings { ClientId = ClientId, Scopes = Scope, Authority = Authority, ApiBaseUri = ApiBaseUri };
        Log.Verbose($"Reading the client secret from: {source.Description}.");
        // One read: its credential seeds the first token request, so the source is not read twice.
        var reading = await AppReading.ReadAsync(source, parameters, Environment, Dispatcher, cancellationToken).ConfigureAwait(false);
        var settings = reading.Settings;
        Log.Verbose($"Signing in as '{settings.ClientId}' with the secret from {reading.Location}; authority {settings.Authority}, " +
                    $"API {settings.ApiBaseUri}, scope '{string.Join(" ", settings.Scopes)}' ({settings.Origins}).");
        var connection = new ServiceConnection(source, parameters, Environment, RefreshMargin, reading);
        var token = await ConnectionTokenSource.AcquireAsync(ITwinSession.Context, connection, reading.Credential, Force, Log, cancellationToken).ConfigureAwait(false);
        ITwinSession.Current = connection;
        if (TokenCache.IsMarginClamped(token.Lifetime, RefreshMargin))
            WriteWarningAsync($"-RefreshMargin {RefreshMargin} is not shorter than the token's lifetime ({TokenCache.Describe(token.Lifetime)}), " +
                $"so it would renew on every call; a margin of half the lifetime ({TokenCache.Describe(TokenCache.MarginFor(token.Lifetime, RefreshMargin))}) is used instead.");
        Log.Verbose($"Current connection: {connection.Settings.ClientId} at {connection.ApiBaseUri} ({(token.FromCache ? "token from cache" : "new token")}, expires {token.ExpiresOn:u}).");
        WriteObjectAsync(token);
    }

    /// <summary>A client id without a secret: say which secret is missing and where to put it.</summary>
    private ITwinAuthException MissingSecret()
    {
        var variable = EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ClientIdVariables);
        var clientId = ClientId ?? variable?.Value;
        if (string.IsNullOrWhiteSpace(clientId)) return EnvironmentCredentialSource.NoCredentials();
        var from = ClientId is not null ? "-ClientId" : variable!.Value.Name;
        return new ITwinAuthException(ITwinErrorIds.ClientSecretMissing, ITwinErrorCategory.InvalidArgument,
            $"The client id '{clientId!.Trim()}' was given ({from}) but no client secret. Give -ClientSecret (a SecureString) with -ClientId, " +
            $"-Credential, or set {EnvironmentCredentialSource.ClientSecretVariables[0]}.", from);
    }

    /// <summary>ITWIN_AUTHORITY and ITWIN_API_BASE_URI belong to the environment source; say so when they are
    /// set but not used, so a sign-in that then goes to production is not a mystery.</summary>
    private void WarnAboutIgnoredHostVariables(CredentialSource source)
    {
        if (source.Kind == CredentialSourceKind.Environment) return;
        var ignored = new[]
            {
                Authority is null ? EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.AuthorityVariables)?.Name : null,
                ApiBaseUri is null ? EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ApiBaseUriVariables)?.Name : null,
            }
            .Where(name => name is not null).ToArray();
        if (ignored.Length > 0)
            WriteWarningAsync($"{string.Join(" and ", ignored)} {(ignored.Length == 1 ? "is set but applies" : "are set but apply")} only when the secret comes from the " +
                "environment; this sign-in uses -Authority/-ApiBaseUri, the secret's own settings, -Environment or production instead.");
    }

    /// <summary>Where the app comes from. Which setting wins is decided in the core: see SettingsResolver.</summary>
    private CredentialSource Source() => ParameterSetName switch
    {
        ClientSecretSet => new StaticCredentialSource(null, ClientSecret!, CredentialSourceKind.Direct),
        CredentialSet => new StaticCredentialSource(Credential!.UserName, Credential.Password, CredentialSourceKind.Credential),
        VaultSet => new VaultCredentialSource(SecretName!, Vault),
        _ => new EnvironmentCredentialSource(),
    };
}
