using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>Forgets cached tokens: all of them, or one connection's. The next request signs in again.</summary>
[Cmdlet(VerbsCommon.Clear, "ITwinTokenCache", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Clear-ITwinTokenCache.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class ClearITwinTokenCacheCommand : AsyncPSCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    public ITwinConnection? Connection { get; set; }

    /// <summary>Runs on the pipeline thread (it never awaits), so ShouldProcess may be called here.</summary>
    protected override Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var target = Connection is null ? "all cached iTwin tokens" : $"cached tokens of {Connection.ClientId} at {Connection.Authority}";
        if (!ShouldProcess(target, "Clear")) return Task.CompletedTask;
        int removed;
        if (Connection is null)
        {
            removed = ITwinSession.Context.Tokens.Clear();
            ITwinSession.Context.RateLimits.Clear();
        }
        else
        {
            var (authority, clientId) = (Connection.Live.Settings.Authority, Connection.Live.Settings.ClientId);
            removed = ITwinSession.Context.Tokens.Clear(key => key.BelongsTo(authority, clientId));
        }
        Log.Verbose($"Cleared {removed} cached token(s).");
        return Task.CompletedTask;
    }
}
