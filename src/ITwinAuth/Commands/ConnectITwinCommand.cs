using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Commands;

/// <summary>Signs in as a service application (client credentials) and makes it the current connection
/// of this PowerShell process: every request cmdlet given no -Connection or -Token then uses it.</summary>
[Cmdlet(VerbsCommunications.Connect, "ITwin", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Connect-ITwin.md", DefaultParameterSetName = EnvironmentVariablesSet)]
[OutputType(typeof(ITwinConnection))]
public sealed class ConnectITwinCommand : SignInCmdlet
{
    /// <summary>Writes the new connection.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var (connection, token) = await SignInAsync(cancellationToken).ConfigureAwait(false);
        ITwinSession.Current = connection;
        Log.Verbose($"Connected: {connection.Settings.ClientId} at {connection.ApiBaseUri} ({(token.FromCache ? "token from cache" : token.FromSharedCache ? "token from the shared cache" : "new token")}, expires {token.ExpiresOn:u}).");
        if (PassThru) WriteObjectAsync(connection.Snapshot(ITwinSession.Context.Tokens));
    }
}
