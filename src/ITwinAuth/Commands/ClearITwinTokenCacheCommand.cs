using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>Forgets cached tokens: all of them, or one connection's, with the shared tokens this process
/// used for them (-ShareToken). The next request signs in again.</summary>
[Cmdlet(VerbsCommon.Clear, "ITwinTokenCache", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Clear-ITwinTokenCache.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class ClearITwinTokenCacheCommand : AsyncPSCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    public ITwinConnection? Connection { get; set; }

    /// <summary>Runs on the pipeline thread until its first await, so ShouldProcess may be called here.</summary>
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        Func<TokenCacheKey, bool>? filter = null;
        if (Connection is not null)
        {
            var (authority, clientId) = (Connection.Live.Settings.Authority, Connection.Live.Settings.ClientId);
            filter = key => key.BelongsTo(authority, clientId);
        }
        var sharedCount = ITwinSession.Context.SharedTokens.CountUsed(filter);
        var target = (Connection is null ? "all cached iTwin tokens" : $"cached tokens of {Connection.ClientId} at {Connection.Authority}") +
                     (sharedCount == 0 ? string.Empty : $", and {sharedCount} shared token(s) in their vaults, which other processes use too");
        if (!ShouldProcess(target, "Clear")) return;
        if (Connection is null) ITwinSession.Context.RateLimits.Clear();
        var removed = ITwinSession.Context.Tokens.Clear(filter);
        var shared = await ITwinSession.Context.SharedTokens.RemoveAsync(filter, Dispatcher, Log, cancellationToken).ConfigureAwait(false);
        Log.Verbose($"Cleared {removed} cached token(s); removed {shared} shared token(s).");
    }
}
