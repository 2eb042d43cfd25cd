using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Commands;

/// <summary>The session's current connection as it is now: app, hosts, scopes, where the secret comes
/// from, when its token expires. Never a secret or a token.</summary>
[Cmdlet(VerbsCommon.Get, "ITwinConnection", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Get-ITwinConnection.md")]
[OutputType(typeof(ITwinConnection))]
public sealed class GetITwinConnectionCommand : AsyncPSCmdlet
{
    protected override Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ITwinSession.CurrentSnapshot is { } connection)
            WriteObject(connection);
        else
            Log.Verbose("There is no current connection; sign in with Connect-ITwin.");
        return Task.CompletedTask;
    }
}
