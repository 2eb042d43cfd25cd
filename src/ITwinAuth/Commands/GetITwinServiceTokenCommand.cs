using System;
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
        if (RefreshMargin is { } margin && margin < TimeSpan.Zero)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "RefreshMargin cannot be negative.", "RefreshMargin");

        var source = Source();
        var parameters = new AppSettings { ClientId = ClientId, Scopes = Scope, Authority = Authority, ApiBaseUri = ApiBaseUri };
        Log.Verbose($"Reading the client secret from: {source.Description}.");
        // One read: its credential seeds the first token request, so the source is not read twice.
        var reading = await AppReading.ReadAsync(source, parameters, Environment, this, cancellationToken).ConfigureAwait(false);
        var settings = reading.Settings;
        Log.Verbose($"Signing in as '{settings.ClientId}' with the secret from {reading.Location}; authority {settings.Authority}, " +
                    $"API {settings.ApiBaseUri}, scope '{string.Join(" ", settings.Scopes)}' ({settings.Origins}).");
        var connection = new ITwinConnection(source, parameters, Environment, RefreshMargin, reading);
        var token = await ConnectionTokenSource.AcquireAsync(connection, reading.Credential, Force, Log, cancellationToken).ConfigureAwait(false);
        ITwinSession.Current = connection;
        if (TokenCache.IsMarginClamped(token.Lifetime, RefreshMargin))
            WriteWarningAsync($"-RefreshMargin {RefreshMargin} is not shorter than the token's lifetime ({TokenCache.Describe(token.Lifetime)}), " +
                $"so it would renew on every call; a margin of half the lifetime ({TokenCache.Describe(TokenCache.MarginFor(token.Lifetime, RefreshMargin))}) is used instead.");
        Log.Verbose($"Current connection: {connection.ClientId} at {connection.ApiBaseUri} ({(token.FromCache ? "token from cache" : "new token")}, expires {token.ExpiresOn:u}).");
        WriteObjectAsync(token);
    }

    /// <summary>Where the app comes from. Which setting wins is decided in the core: see SettingsResolver.</summary>
    private CredentialSource Source() => ParameterSetName switch
    {
        ClientSecretSet => new StaticCredentialSource(
            new ServiceCredential(ClientId ?? EnvironmentCredentialSource.FirstSet(EnvironmentCredentialSource.ClientIdVariables)?.Value ?? string.Empty, ClientSecret!),
            CredentialSourceKind.Direct),
        CredentialSet => new StaticCredentialSource(new ServiceCredential(Credential!.UserName ?? string.Empty, Credential.Password),
            CredentialSourceKind.Credential),
        VaultSet => new VaultCredentialSource(SecretName!, Vault),
        _ => new EnvironmentCredentialSource(),
    };
}
