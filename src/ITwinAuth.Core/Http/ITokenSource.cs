using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Hands out the bearer token for a request and learns when the API rejected it.</summary>
public interface ITokenSource
{
    /// <summary>The API the token is for: paths resolve under it, and the calls' <see cref="CredentialBoundary"/> is its origin.</summary>
    Uri ApiBaseUri { get; }

    /// <summary>How the calls reach the API (null: as .NET finds a proxy).</summary>
    ProxySettings? Proxy { get; }

    Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken);

    /// <summary>The API answered 401 to this token: drop it, so the next call renews.</summary>
    void Rejected(ITwinAccessToken token);

    /// <summary>Whether a rejected token can be replaced by a new one (false for a token given by hand).</summary>
    bool CanRenew { get; }
}
