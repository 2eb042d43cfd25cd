using System;
using System.Threading;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// A signed-in service application: which app, where it signs in, which API it calls, and where its
/// secret comes from. It never holds a readable secret: its source is read again (the whole app:
/// client id, secret and settings) when a token must be renewed, and a secret given directly is
/// kept only as a SecureString.
/// </summary>
public sealed class ITwinConnection
{
    private State _state;

    /// <summary>A connection as Get-ITwinServiceToken makes it, from the first read of its source.</summary>
    internal ITwinConnection(CredentialSource source, AppSettings parameters, ITwinEnvironment? requestedEnvironment,
        TimeSpan? refreshMargin, AppReading first)
    {
        Source = source;
        Parameters = parameters;
        RequestedEnvironment = requestedEnvironment;
        RefreshMargin = refreshMargin;
        _state = new State(first.Settings, first.Location);
    }

    /// <summary>A connection whose settings are all given.</summary>
    internal ITwinConnection(string clientId, Uri authority, Uri apiBaseUri, string[] scopes, CredentialSource source,
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

    public string ClientId => Current.Settings.ClientId;
    public Uri Authority => Current.Settings.Authority;
    public Uri ApiBaseUri => Current.Settings.ApiBaseUri;
    public string[] Scopes => Current.Settings.Scopes;

    /// <summary>-Environment when given, else the deployment whose hosts the connection uses (null for
    /// other hosts, such as an emulator). Never an environment whose hosts a vault contradicts.</summary>
    public ITwinEnvironment? Environment => Current.Settings.Environment;

    /// <summary>Where the secret was read at the last sign-in or renewal, e.g. "SecretManagement vault
    /// 'ci' secret 'itwin-app'" (the vault that returned it, also when -Vault was not given); never the secret.</summary>
    public string CredentialSource => Current.Location;
    public CredentialSourceKind CredentialSourceKind => Source.Kind;

    /// <summary>Where each setting came from, e.g. "ClientId=Secret, Scopes=Metadata, Authority=Parameter, ApiBaseUri=Parameter".</summary>
    public string SettingsFrom => Current.Settings.Origins;

    /// <summary>When the cached token of this connection expires; null when none is cached.</summary>
    public DateTimeOffset? TokenExpiresOn => LastKey is { } key ? TokenCache.Shared.Peek(key)?.ExpiresOn : null;

    internal CredentialSource Source { get; }
    internal AppSettings Parameters { get; }
    internal ITwinEnvironment? RequestedEnvironment { get; }
    internal TimeSpan? RefreshMargin { get; }
    internal ConnectionSettings Settings => Current.Settings;

    /// <summary>The cache key of the last token this connection used, so that a fresh token is found
    /// without reading the secret again.</summary>
    internal TokenCacheKey? LastKey { get; set; }

    /// <summary>Takes what a renewal read: the settings and where the secret was found now.</summary>
    internal void Update(AppReading reading) => Volatile.Write(ref _state, new State(reading.Settings, reading.Location));

    private State Current => Volatile.Read(ref _state);

    public override string ToString() => $"{ClientId} -> {ApiBaseUri}";

    /// <summary>Settings and location change together, so a reader never sees half of a renewal.</summary>
    private sealed class State
    {
        public State(ConnectionSettings settings, string location)
        {
            Settings = settings;
            Location = location;
        }

        public ConnectionSettings Settings { get; }
        public string Location { get; }
    }
}
