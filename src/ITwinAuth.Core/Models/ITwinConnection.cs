using System;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// A signed-in service application as it was when this object was made: which app, where it signs
/// in, which API it calls, where its secret comes from, when its token expires. It never changes:
/// Get-ITwinConnection gives a new one (after a vault rotation, with the new client id). Passed to
/// -Connection, it names the live connection behind it. It never holds a secret or a token.
/// </summary>
public sealed class ITwinConnection
{
    internal ITwinConnection(ServiceConnection live, ConnectionSettings settings, string location, DateTimeOffset? tokenExpiresOn)
    {
        Live = live;
        ClientId = settings.ClientId;
        Authority = settings.Authority;
        ApiBaseUri = settings.ApiBaseUri;
        Scopes = settings.Scopes;
        Environment = settings.Environment;
        CredentialSource = location;
        CredentialSourceKind = live.Source.Kind;
        SettingsFrom = settings.Origins;
        TokenExpiresOn = tokenExpiresOn;
        Proxy = live.Proxy?.ToString();
        SharedTokenVault = live.SharedStore is { } store ? ServerText.Line(store.Id, 256) : null;
    }

    public string ClientId { get; }
    public Uri Authority { get; }
    public Uri ApiBaseUri { get; }
    public string[] Scopes { get; }

    /// <summary>-Environment when given, else the deployment whose hosts the connection uses (null for
    /// other hosts, such as an emulator). Never an environment whose hosts a vault contradicts.</summary>
    public ITwinEnvironment? Environment { get; }

    /// <summary>Where the secret was read at the last sign-in or renewal, e.g. "SecretManagement vault
    /// 'ci' secret 'itwin-app'" (the vault that returned it, also when -Vault was not given); never the secret.</summary>
    public string CredentialSource { get; }

    public CredentialSourceKind CredentialSourceKind { get; }

    /// <summary>Where each setting came from, e.g. "ClientId=Secret, Scopes=Metadata, Authority=Parameter, ApiBaseUri=Parameter".</summary>
    public string SettingsFrom { get; }

    /// <summary>When the cached token expired or expires, as of this snapshot; null when none was cached.</summary>
    public DateTimeOffset? TokenExpiresOn { get; }

    /// <summary>The proxy the connection goes through ("proxy http://host:port as user", "no proxy"); empty when
    /// .NET finds one (HTTPS_PROXY, the system's settings). Never the proxy's password.</summary>
    public string? Proxy { get; }

    /// <summary>The vault through which the token is shared with other processes and machines (-ShareToken);
    /// null when it is kept in this process only.</summary>
    public string? SharedTokenVault { get; }

    /// <summary>The connection the engine keeps, which renewals update.</summary>
    internal ServiceConnection Live { get; }

    public override string ToString() => $"{ClientId} -> {ApiBaseUri}";
}
