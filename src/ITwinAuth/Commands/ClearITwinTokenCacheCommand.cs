using System;
using System.Management.Automation;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>Forgets cached tokens: all of them, or one connection's. The next request signs in again.</summary>
[Cmdlet(VerbsCommon.Clear, "ITwinTokenCache", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Clear-ITwinTokenCache.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class ClearITwinTokenCacheCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    public ITwinConnection? Connection { get; set; }

    protected override void ProcessRecord()
    {
        var target = Connection is null ? "all cached iTwin tokens" : $"cached tokens of {Connection.ClientId} at {Connection.Authority}";
        if (!ShouldProcess(target, "Clear")) return;
        int removed;
        if (Connection is null)
        {
            removed = ITwinSession.Context.Tokens.Clear();
            ITwinSession.Context.RateLimits.Clear();
        }
        else
        {
            var (authority, clientId) = (Connection.Authority, Connection.ClientId);
            removed = ITwinSession.Context.Tokens.Clear(key => key.BelongsTo(authority, clientId));
        }
        WriteVerbose($"Cleared {removed} cached token(s).");
    }
}
