using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Tokens for a connection: from the cache while fresh (without reading the secret),
/// otherwise by resolving the credential source again and requesting one.</summary>
public sealed class ConnectionTokenSource : ITokenSource
{
    private readonly ITwinConnection _connection;
    private readonly IPipelineDispatcher _dispatcher;
    private readonly ILogSink _log;

    public ConnectionTokenSource(ITwinConnection connection, IPipelineDispatcher dispatcher, ILogSink log)
    {
        _connection = connection;
        _dispatcher = dispatcher;
        _log = log;
    }

    public Uri ApiBaseUri => _connection.ApiBaseUri;
    public bool CanRenew => true;

    public Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        if (!forceRefresh && _connection.LastKey is { } key && TokenCache.Shared.TryGetFresh(key, _connection.RefreshMargin) is { } cached)
            return Task.FromResult(cached);
        return AcquireAsync(_connection, _dispatcher, forceRefresh, _log, cancellationToken);
    }

    public void Rejected(ITwinAccessToken token) => TokenCache.Shared.Invalidate(token);

    /// <summary>A renewal: reads the whole app again (client id, secret and settings, one read of the
    /// source, resolved exactly as at sign-in), then the cache or the authority.</summary>
    public static async Task<ITwinAccessToken> AcquireAsync(ITwinConnection connection, IPipelineDispatcher dispatcher,
        bool force, ILogSink log, CancellationToken cancellationToken)
    {
        log.Verbose($"Reading the client secret from: {connection.CredentialSource} (the whole app again: client id, secret and settings).");
        var reading = await AppReading.ReadAsync(connection.Source, connection.Parameters, connection.RequestedEnvironment,
            dispatcher, cancellationToken).ConfigureAwait(false);
        if (!reading.Settings.SameAs(connection.Settings))
            log.Verbose($"The app's settings changed since the last read: now {reading.Settings.ClientId} at {reading.Settings.Authority}, " +
                        $"API {reading.Settings.ApiBaseUri}, scope '{string.Join(" ", reading.Settings.Scopes)}'.");
        connection.Update(reading);
        return await AcquireAsync(connection, reading.Credential, force, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A token for the credential just read (at sign-in, the read that made the connection):
    /// from the cache or the authority, without reading the source again.</summary>
    public static async Task<ITwinAccessToken> AcquireAsync(ITwinConnection connection, ServiceCredential credential,
        bool force, ILogSink log, CancellationToken cancellationToken)
    {
        var settings = connection.Settings;
        var key = TokenCacheKey.For(settings.Authority, credential, settings.Scopes);
        if (connection.LastKey is { } previous && previous.ClientId == key.ClientId && !previous.Equals(key))
            log.Verbose("The client secret has changed since the last token: the old token is not reused.");
        connection.LastKey = key;
        return await TokenCache.Shared.GetOrRequestAsync(key, connection.RefreshMargin, force,
            () => TokenClient.RequestAsync(settings.Authority, credential, settings.Scopes, key, log, CancellationToken.None),
            log, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A token given by hand (-Token): used as is, never renewed.</summary>
public sealed class FixedTokenSource : ITokenSource
{
    private readonly ITwinAccessToken _token;

    public FixedTokenSource(ITwinAccessToken token, Uri apiBaseUri)
    {
        _token = token;
        ApiBaseUri = apiBaseUri;
    }

    public Uri ApiBaseUri { get; }
    public bool CanRenew => false;
    public Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken) => Task.FromResult(_token);
    public void Rejected(ITwinAccessToken token) => TokenCache.Shared.Invalidate(token);
}
