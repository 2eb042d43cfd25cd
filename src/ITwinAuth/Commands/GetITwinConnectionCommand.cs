using System.Management.Automation;

namespace ITwinAuth.Commands;

/// <summary>The session's current connection: app, hosts, scopes, where the secret comes from, when
/// its token expires. Never a secret or a token.</summary>
[Cmdlet(VerbsCommon.Get, "ITwinConnection", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Get-ITwinConnection.md")]
[OutputType(typeof(ITwinConnection))]
public sealed class GetITwinConnectionCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        if (ITwinSession.CurrentSnapshot is { } connection)
            WriteObject(connection);
        else
            WriteVerbose("There is no current connection; sign in with Get-ITwinServiceToken.");
    }
}
