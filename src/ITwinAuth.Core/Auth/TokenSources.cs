using System;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>Tokens for a connection: from the context's cache while fresh (without reading the
/// secret), otherwise by reading the credential source again and requesting one.</summary>
public sealed class ConnectionTokenSource : ITokenSource
{
    private readonly ClientContext _context;
    private readonly ServiceConnection _connection;
    private readonly IPipelineDispatcher _dispatcher;
    private readonly ILogSink _log;

    public ConnectionTokenSource(ClientContext context, ServiceConnection connection, IPipelineDispatcher dispatcher, ILogSink log)
    {
        _context = context;
        _connection = connection;
        _dispatcher = dispatcher;
        _log = log;
    }

    public Uri ApiBaseUri => _connection.ApiBaseUri;
    public ProxySettings? Proxy => _connection.Proxy;
    public bool CanRenew => true;

    public Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        if (!forceRefresh && _connection.LastKey is { } key && _context.Tokens.TryGetFresh(key, _connection.RefreshMargin) is { } cached)
            return Task.FromResult(cached);
        return AcquireAsync(_context, _connection, _dispatcher, forceRefresh, _log, cancellationToken);
    }

    public void Rejected(ITwinAccessToken token)
    {
        _context.Tokens.Invalidate(token);
        if (_connection.SharedStore is not null) _context.SharedTokens.Reject(token);
    }

    /// <summary>A renewal: reads the whole app again (client id, secret and settings, one read of the
    /// source, resolved exactly as at sign-in), then the cache or the authority.</summary>
    public static async Task<ITwinAccessToken> AcquireAsync(ClientContext context, ServiceConnection connection, IPipelineDispatcher dispatcher,
        bool force, ILogSink log, CancellationToken cancellationToken)
    {
        log.Verbose($"Reading the client secret from: {connection.Location} (the whole app again: client id, secret and settings).");
        var reading = await AppReading.ReadAsync(connection.Source, connection.Parameters, connection.RequestedEnvironment,
            dispatcher, cancellationToken).ConfigureAwait(false);
        if (!reading.Settings.SameAs(connection.Settings))
            log.Verbose($"The app's settings changed since the last read: now {reading.Settings.ClientId} at {reading.Settings.Authority}, " +
                        $"API {reading.Settings.ApiBaseUri}, scope '{string.Join(" ", reading.Settings.Scopes)}'.");
        connection.Update(reading);
        return await AcquireAsync(context, connection, reading.Credential, dispatcher, force, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A token for the credential just read (at sign-in, the read that made the connection):
    /// from the in-memory cache, the shared one (when the connection shares) or the authority, without
    /// reading the source again.</summary>
    public static async Task<ITwinAccessToken> AcquireAsync(ClientContext context, ServiceConnection connection, ServiceCredential credential,
        IPipelineDispatcher dispatcher, bool force, ILogSink log, CancellationToken cancellationToken)
    {
        var settings = connection.Settings;
        var key = context.Tokens.KeyFor(settings.Authority, credential, settings.Scopes);
        if (connection.LastKey is { } previous && previous.ClientId == key.ClientId && !previous.Equals(key))
            log.Verbose("The client secret has changed since the last token: the old token is not reused.");
        connection.LastKey = key;
        Func<Task<ITwinAccessToken>> fromAuthority = () =>
            TokenClient.RequestAsync(context, settings.Authority, credential, settings.Scopes, key, log, CancellationToken.None, connection.Proxy);
        var request = fromAuthority;
        if (connection.SharedStore is { } store)
        {
            // The name needs the secret, which is readable only now: it is made here, before the flight.
            var shared = new SharedTokenRequest(store, SharedTokenEntry.NameFor(key, credential.Secret), key, settings.Authority,
                connection.RefreshMargin, force, dispatcher, log, cancellationToken);
            request = () => context.SharedTokens.GetOrRequestAsync(shared, fromAuthority);
        }
        return await context.Tokens.GetOrRequestAsync(key, connection.RefreshMargin, force, request, log, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A token given by hand (-Token): used as is, never renewed.</summary>
public sealed class FixedTokenSource : ITokenSource
{
    private readonly ITwinAccessToken _token;
    private readonly TokenCache _cache;

    public FixedTokenSource(ITwinAccessToken token, Uri apiBaseUri, TokenCache cache)
    {
        _token = token;
        ApiBaseUri = apiBaseUri;
        _cache = cache;
    }

    public Uri ApiBaseUri { get; }
    public ProxySettings? Proxy => _token.Proxy;
    public bool CanRenew => false;
    public Task<ITwinAccessToken> GetTokenAsync(bool forceRefresh, CancellationToken cancellationToken) => Task.FromResult(_token);

    /// <summary>If the token is also the cached one (it came from Get-ITwinServiceToken), the next sign-in renews it.</summary>
    public void Rejected(ITwinAccessToken token) => _cache.Invalidate(token);
}
