using System;
using System.Management.Automation;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>What every cmdlet that calls the API shares: the current connection by default, or
/// an explicit -Connection, or a -Token given by hand.</summary>
public abstract class ITwinRequestCmdlet : AsyncPSCmdlet
{
    public const string CurrentSet = "Current";
    public const string ConnectionSet = "Connection";
    public const string TokenSet = "Token";

    [Parameter]
    public ITwinConnection? Connection { get; set; }

    [Parameter]
    public ITwinAccessToken? Token { get; set; }

    /// <summary>The API for -Token (defaults to the current connection's, else production).</summary>
    [Parameter]
    public string? ApiBaseUri { get; set; }

    private protected ITokenSource ResolveTokens()
    {
        if (Connection is not null && Token is not null)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "Give -Connection or -Token, not both.", "Token");
        if (Token is not null)
        {
            var apiBase = ApiBaseUri is not null
                ? EndpointPolicy.RequireUsable(ApiBaseUri, nameof(ApiBaseUri))
                : ITwinSession.Current?.ApiBaseUri ?? ITwinEndpoints.ApiBaseFor(ITwinEnvironment.Production);
            return new FixedTokenSource(Token, EndpointPolicy.AsBase(apiBase));
        }
        var connection = Connection ?? ITwinSession.Current ?? throw new ITwinAuthException(ITwinErrorIds.NoConnection,
            ITwinErrorCategory.AuthenticationError,
            "There is no current connection. Sign in first with Get-ITwinServiceToken (from a vault, -Credential, " +
            "-ClientId/-ClientSecret or environment variables), or give -Connection or -Token.");
        if (ApiBaseUri is not null)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-ApiBaseUri goes with -Token; a connection has its own API base (set it with Get-ITwinServiceToken -ApiBaseUri).", "ApiBaseUri");
        return new ConnectionTokenSource(connection, this, Log);
    }
}
