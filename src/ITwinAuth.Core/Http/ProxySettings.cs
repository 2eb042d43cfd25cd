using System;
using System.Net;

namespace ITwinAuth.Core;

/// <summary>
/// How a connection reaches the internet: through the given proxy (with its own credentials, or the
/// signed-in user's), with no proxy at all, or, when a connection has none of these, the way .NET
/// finds one (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, the system's settings). The proxy's credentials go
/// only to the proxy (Proxy-Authorization), never to the authority or the API, and no message shows them.
/// </summary>
public sealed class ProxySettings
{
    private ProxySettings(Uri? address, NetworkCredential? credential, bool useDefaultCredentials, bool bypass)
    {
        Address = address;
        Credential = credential;
        UseDefaultCredentials = useDefaultCredentials;
        Bypass = bypass;
    }

    public Uri? Address { get; }
    internal NetworkCredential? Credential { get; }
    public bool UseDefaultCredentials { get; }

    /// <summary>No proxy at all, whatever the environment says.</summary>
    public bool Bypass { get; }

    public static ProxySettings None { get; } = new(null, null, false, bypass: true);

    public static ProxySettings Through(Uri address, NetworkCredential? credential, bool useDefaultCredentials)
    {
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(address.UserInfo))
            throw new ITwinAuthException(ITwinErrorIds.InvalidUri, ITwinErrorCategory.InvalidArgument,
                $"-Proxy '{CredentialBoundary.OriginOf(address)}' is not an http(s) proxy address without credentials in it; give them with -ProxyCredential.", "Proxy");
        return new ProxySettings(address, credential, useDefaultCredentials, bypass: false);
    }

    /// <summary>What makes two settings the same transport: the password only as a keyed fingerprint.</summary>
    internal string Identity(byte[] key) =>
        $"{Bypass}|{Address}|{UseDefaultCredentials}|{Credential?.UserName}|{(Credential?.SecurePassword is { } password ? SecretText.Fingerprint(password, key) : string.Empty)}";

    /// <summary>For -Verbose and Get-ITwinConnection: never the credentials.</summary>
    public override string ToString() => Bypass ? "no proxy" :
        $"proxy {CredentialBoundary.OriginOf(Address!)}{(Credential is not null ? $" as {Credential.UserName}" : UseDefaultCredentials ? " with your sign-in" : string.Empty)}";
}
