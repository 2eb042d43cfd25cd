using System;
using System.Management.Automation;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>What every cmdlet that calls the API shares: the current connection by default, or
/// an explicit -Connection, or a -Token given by hand. Each cmdlet declares the three parameters in
/// parameter sets of its own, so that -Connection and -Token cannot be combined and -ApiBaseUri
/// exists only beside -Token.</summary>
public abstract class ITwinRequestCmdlet : AsyncPSCmdlet
{
    public const string CurrentSet = "Current";
    public const string ConnectionSet = "Connection";
    public const string TokenSet = "Token";

    public abstract ITwinConnection? Connection { get; set; }

    public abstract ITwinAccessToken? Token { get; set; }

    /// <summary>The API host the -Token is for (defaults to the token's own ApiBaseUri): the one meaning of
    /// -ApiBaseUri on every cmdlet, the API host a connection or token is for.</summary>
    public abstract string? ApiBaseUri { get; set; }

    private protected ITokenSource ResolveTokens()
    {
        if (Token is not null)
        {
            var apiBase = SettingsResolver.ApiBaseForToken(ApiBaseUri, Token);
            return new FixedTokenSource(Token, apiBase, ITwinSession.Context.Tokens);
        }
        var connection = Connection?.Live ?? ITwinSession.Current ?? throw new ITwinAuthException(ITwinErrorIds.NoConnection,
            ITwinErrorCategory.AuthenticationError,
            "There is no current connection. Sign in first with Connect-ITwin (from a vault, -Credential, " +
            "-ClientId/-ClientSecret or environment variables), or give -Connection or -Token.");
        return new ConnectionTokenSource(ITwinSession.Context, connection, Dispatcher, Log);
    }
}
