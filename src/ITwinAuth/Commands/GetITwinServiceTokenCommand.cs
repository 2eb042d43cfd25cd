using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>
/// The access token, as Bentley's tutorial gets it. Without credentials: the current connection's
/// token (renewed if needed), like Get-AzAccessToken. With credentials: signs in exactly as
/// Connect-ITwin does (the app becomes the current connection) and returns its token.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ITwinServiceToken", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Get-ITwinServiceToken.md", DefaultParameterSetName = EnvironmentVariablesSet)]
[OutputType(typeof(ITwinAccessToken))]
public sealed class GetITwinServiceTokenCommand : SignInCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (NoCredentialsGiven && ClientId is null && EnvironmentVariableCredentialSource.FirstSet(EnvironmentVariableCredentialSource.ClientIdVariables) is null &&
            ITwinSession.Current is { } current && Scope is null && Authority is null && ApiBaseUri is null && Environment is null &&
            Proxy is null && !NoProxy && !SharesToken)
        {
            Log.Verbose($"No credentials given: the current connection's token ({current.Settings.ClientId} at {current.ApiBaseUri}).");
            var currentToken = await new ConnectionTokenSource(ITwinSession.Context, current, Dispatcher, Log).GetTokenAsync(ForceRefresh, cancellationToken).ConfigureAwait(false);
            WriteObjectAsync(currentToken.For(current));
            return;
        }

        var (connection, token) = await SignInAsync(cancellationToken).ConfigureAwait(false);
        ITwinSession.Current = connection;
        Log.Verbose($"Current connection: {connection.Settings.ClientId} at {connection.ApiBaseUri} ({(token.FromCache ? "token from cache" : token.FromSharedCache ? "token from the shared cache" : "new token")}, expires {token.ExpiresOn:u}).");
        WriteObjectAsync(token.For(connection));
    }
}
