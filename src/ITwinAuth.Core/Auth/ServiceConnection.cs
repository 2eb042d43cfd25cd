using System;
using System.Threading;

namespace ITwinAuth.Core;

/// <summary>
/// A signed-in service application as the engine keeps it: where its app comes from (the source and
/// the parameters, read again at every renewal), and what the last read resolved to. It changes when
/// a renewal reads a rotated secret; what users hold is an <see cref="ITwinConnection"/>, a snapshot.
/// It never holds a readable secret.
/// </summary>
public sealed class ServiceConnection
{
    private State _state;
    private TokenCacheKey? _lastKey;

    /// <summary>A connection as the sign-in makes it, from the first read of its source.</summary>
    public ServiceConnection(CredentialSource source, AppSettings parameters, ITwinEnvironment? requestedEnvironment,
        TimeSpan? refreshMargin, AppReading first)
    {
        Source = source;
        Parameters = parameters;
        RequestedEnvironment = requestedEnvironment;
        RefreshMargin = refreshMargin;
        _state = new State(first.Settings, first.Location);
    }

    /// <summary>A connection whose settings are all given.</summary>
    public ServiceConnection(string clientId, Uri authority, Uri apiBaseUri, string[] scopes, CredentialSource source,
        ITwinEnvironment? environment, TimeSpan? refreshMargin)
    {
        Source = source;
        Parameters = new AppSettings { ClientId = clientId, Scopes = scopes, Authority = authority.ToString(), ApiBaseUri = apiBaseUri.ToString() };
        RequestedEnvironment = environment;
        RefreshMargin = refreshMargin;
        _state = new State(new ConnectionSettings(clientId, scopes, authority, apiBaseUri,
            SettingOrigin.Parameter, SettingOrigin.Parameter, SettingOrigin.Parameter, SettingOrigin.Parameter, environment),
            source.Description);
    }

    public CredentialSource Source { get; }
    public AppSettings Parameters { get; }
    public ITwinEnvironment? RequestedEnvironment { get; }
    public TimeSpan? RefreshMargin { get; }

    /// <summary>How this connection reaches the authority and the API (null: as .NET finds a proxy).</summary>
    public ProxySettings? Proxy { get; init; }

    /// <summary>Where this connection shares its token with other processes (-ShareToken); null: in this process only.</summary>
    public ISharedTokenStore? SharedStore { get; init; }

    /// <summary>The settings of the last read.</summary>
    public ConnectionSettings Settings => Volatile.Read(ref _state).Settings;

    /// <summary>Where the secret was found at the last read; never the secret.</summary>
    public string Location => Volatile.Read(ref _state).Location;

    public Uri ApiBaseUri => Settings.ApiBaseUri;

    /// <summary>The cache key of the last token, so that a fresh token is found without reading the secret again.</summary>
    public TokenCacheKey? LastKey
    {
        get => Volatile.Read(ref _lastKey);
        set => Volatile.Write(ref _lastKey, value);
    }

    /// <summary>Takes what a renewal read: the settings and where the secret was found now.</summary>
    public void Update(AppReading reading) => Volatile.Write(ref _state, new State(reading.Settings, reading.Location));

    /// <summary>What the connection is now, as an object to show and keep.</summary>
    public ITwinConnection Snapshot(TokenCache cache)
    {
        var state = Volatile.Read(ref _state);
        return new ITwinConnection(this, state.Settings, state.Location,
            LastKey is { } key ? cache.Peek(key)?.ExpiresOn : null);
    }

    /// <summary>Settings and location change together, so a reader never sees half of a renewal.</summary>
    private sealed record State(ConnectionSettings Settings, string Location);
}
