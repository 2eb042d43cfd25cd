using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>Forgets the current connection (or the one given) and its cached tokens, and removes the
/// shared tokens this process used for its app (-ShareToken). Signing in again reads the secret
/// again. Nothing is sent to the platform: a client-credentials token cannot be revoked.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "ITwin", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Disconnect-ITwin.md")]
[OutputType(typeof(void))]
public sealed class DisconnectITwinCommand : AsyncPSCmdlet
{
    /// <summary>The connection to forget; the current one when not given.</summary>
    [Parameter(ValueFromPipeline = true)]
    public ITwinConnection? Connection { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var live = Connection?.Live ?? ITwinSession.Current;
        if (live is null)
        {
            Log.Verbose("There is no current connection to disconnect.");
            return;
        }
        var settings = live.Settings;
        Func<TokenCacheKey, bool> ofApp = key => key.BelongsTo(settings.Authority, settings.ClientId);
        var removed = ITwinSession.Context.Tokens.Clear(ofApp);
        // Forgotten before the vault is called: a slow vault stopped with Ctrl+C still leaves the process signed out.
        var wasCurrent = ReferenceEquals(ITwinSession.Current, live);
        if (wasCurrent) ITwinSession.Current = null;
        var shared = await ITwinSession.Context.SharedTokens.RemoveAsync(ofApp, Dispatcher, Log, cancellationToken).ConfigureAwait(false);
        Log.Verbose($"Disconnected {settings.ClientId} at {settings.ApiBaseUri}: {removed} cached token(s) forgotten, {shared} shared token(s) removed" +
                    (wasCurrent ? "; there is no current connection now." : "; the current connection is another one and stays."));
    }
}
