using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Commands;

/// <summary>Forgets the current connection (or the one given) and its cached tokens. Signing in again
/// reads the secret again. Nothing is sent anywhere: a client-credentials token cannot be revoked.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "ITwin", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Disconnect-ITwin.md")]
[OutputType(typeof(void))]
public sealed class DisconnectITwinCommand : AsyncPSCmdlet
{
    /// <summary>The connection to forget; the current one when not given.</summary>
    [Parameter(ValueFromPipeline = true)]
    public ITwinConnection? Connection { get; set; }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var live = Connection?.Live ?? ITwinSession.Current;
        if (live is null)
        {
            Log.Verbose("There is no current connection to disconnect.");
            return Task.CompletedTask;
        }
        var settings = live.Settings;
        var removed = ITwinSession.Context.Tokens.Clear(key => key.BelongsTo(settings.Authority, settings.ClientId));
        var wasCurrent = ReferenceEquals(ITwinSession.Current, live);
        if (wasCurrent) ITwinSession.Current = null;
        Log.Verbose($"Disconnected {settings.ClientId} at {settings.ApiBaseUri}: {removed} cached token(s) forgotten" +
                    (wasCurrent ? "; there is no current connection now." : "; the current connection is another one and stays."));
        return Task.CompletedTask;
    }
}
