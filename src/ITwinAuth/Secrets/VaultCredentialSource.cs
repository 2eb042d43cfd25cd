using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>
/// A secret in a SecretManagement vault. Accepts what a vault holds: a PSCredential (user name =
/// client id), a SecureString or string (client id from -ClientId or metadata), or a Hashtable with
/// ClientId and ClientSecret (and optionally Scope, Authority, ApiBaseUri). One read is one
/// Get-Secret on one vault, plus one Get-SecretInfo on that same vault only when the parameters and
/// the secret leave a setting open; a renewal reads exactly the same way. The read is bounded by
/// <see cref="SecretManagementClient.ReadDeadline"/>.
/// What a vault returns is checked before use: the secret must be text a SecureString can hold,
/// each setting must be text (a Scope may be a list of texts) without control characters and of a
/// possible length. A refusal names the secret and the key, never a value.
/// </summary>
internal sealed class VaultCredentialSource : CredentialSource
{
    /// <summary>The most characters a SecureString, and so a client secret, can hold.</summary>
    public const int MaximumSecretLength = 65536;

    /// <summary>The longest setting accepted from a vault: far beyond any real one, short enough that
    /// the messages that quote a setting stay readable.</summary>
    private static readonly Dictionary<string, int> MaximumSettingLength = new(StringComparer.Ordinal)
    {
        ["ClientId"] = 256,
        ["Scope"] = 2048,
        ["Authority"] = 2048,
        ["ApiBaseUri"] = 2048,
    };

    private readonly string _secretName;
    private readonly string? _vault;

    public VaultCredentialSource(string secretName, string? vault)
    {
        _secretName = secretName;
        _vault = vault;
    }

    public override CredentialSourceKind Kind => CredentialSourceKind.Vault;

    public override string Description => _vault is null
        ? $"SecretManagement secret '{_secretName}' (searched from the default vault)"
        : Location(_vault, _secretName);

    public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() => Read(parameters, cancellationToken), cancellationToken);

    public override ITwinAuthException MissingClientId() => MissingClientId(_secretName);

    /// <summary>Reads and interprets the secret; runs on the pipeline thread.</summary>
    private SourceReading Read(AppSettings parameters, CancellationToken cancellationToken)
    {
        var client = new SecretManagementClient(SecretManagementClient.ReadDeadline, cancellationToken);
        var (stored, vault) = _vault is null
            ? client.FindSecret(_secretName)
            : (client.ReadSecret(_secretName, _vault), _vault);
        var (secret, own) = Interpret(_secretName, stored);
        var layers = new List<SettingsLayer> { new(SettingOrigin.Secret, own) };
        if (!parameters.Over(own).IsComplete && client.ReadMetadata(_secretName, vault) is { } metadata)
            layers.Add(new SettingsLayer(SettingOrigin.Metadata, Settings(_secretName, metadata, Place.Metadata)));
        RecentSecrets.Remember(vault, _secretName);
        return new SourceReading(secret, layers, Location(vault, _secretName), vault);
    }

    private static string Location(string vault, string secretName) =>
        $"SecretManagement vault '{SecretManagementClient.Shown(vault)}' secret '{secretName}'";

    /// <summary>Where a setting was found, for the messages.</summary>
    private enum Place { Hashtable, Metadata, CredentialUserName }

    private static (SecureString Secret, AppSettings Own) Interpret(string name, object stored)
    {
        switch (stored)
        {
            case PSCredential credential:
                return (credential.Password, new AppSettings { ClientId = AppSettings.Clean(Checked(name, "ClientId", credential.UserName ?? string.Empty, Place.CredentialUserName)) });
            case SecureString secure:
                return (secure, AppSettings.None);
            case string text:
                return (SecretFromText(name, text, "holds a client secret"), AppSettings.None);
            case IDictionary table:
                var secret = Value(table, "ClientSecret") switch
                {
                    null => throw Unusable(name, "a Hashtable without a ClientSecret key (it needs ClientId and ClientSecret)"),
                    SecureString s => s,
                    string s => SecretFromText(name, s, "is a Hashtable whose ClientSecret holds a client secret"),
                    var other => throw Unusable(name, $"a Hashtable whose ClientSecret is a {TypeName(other)} (it must be a string or a SecureString; " +
                        "Get-Content without -Raw gives an array of lines)"),
                };
                return (secret, Settings(name, table, Place.Hashtable));
            default:
                throw Unusable(name, $"a {TypeName(stored)}");
        }
    }

    /// <summary>A client secret given as text, refused (before any SecureString is made of it) when it is
    /// longer than a SecureString can hold: then it cannot be a client secret (a whole file, say).</summary>
    private static SecureString SecretFromText(string name, string text, string what)
    {
        if (text.Length > MaximumSecretLength)
            throw new ITwinAuthException(ITwinErrorIds.SecretValueInvalid, ITwinErrorCategory.InvalidData,
                $"The secret '{name}' {what} of {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters, more than the " +
                $"{MaximumSecretLength.ToString("N0", CultureInfo.InvariantCulture)} a SecureString can hold, so it cannot be a client secret " +
                "(a whole file?). Store the secret alone, e.g. (Get-Content <file> -Raw).Trim().", name);
        return SecretText.ToSecureString(text);
    }

    private static AppSettings Settings(string name, IDictionary table, Place place) => new()
    {
        ClientId = AppSettings.Clean(Setting(name, table, "ClientId", place)),
        Scopes = AppSettings.CleanScopes(Setting(name, table, "Scope", place)),
        Authority = AppSettings.Clean(Setting(name, table, "Authority", place)),
        ApiBaseUri = AppSettings.Clean(Setting(name, table, "ApiBaseUri", place)),
    };

    /// <summary>A setting as text: a string, a SecureString, a number, a GUID or a URI; for Scope also a
    /// list of those. Anything else (a nested Hashtable, a PSCredential, a byte[]) is refused: its text
    /// would be a type name such as System.Collections.Hashtable.</summary>
    private static string? Setting(string name, IDictionary table, string key, Place place)
    {
        var value = Value(table, key);
        if (value is null) return null;
        if (Scalar(value) is { } text) return Checked(name, key, text, place);
        if (key == "Scope" && value is IEnumerable items and not IDictionary)
        {
            var parts = new List<string>();
            foreach (var item in items)
            {
                var unwrapped = PowerShellValues.Unwrap(item);
                if (unwrapped is null) continue;
                parts.Add(Scalar(unwrapped) ?? throw NotText(name, key, place, $"a list holding a {TypeName(unwrapped)}"));
            }
            return Checked(name, key, string.Join(" ", parts), place);
        }
        throw NotText(name, key, place, $"a {TypeName(value)}");
    }

    private static string? Scalar(object value) => value switch
    {
        string s => s,
        SecureString s => SecretText.Use(s, t => t),
        Guid or Uri => value.ToString(),
        sbyte or byte or short or ushort or int or uint or long or ulong or decimal => Convert.ToString(value, CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <summary>The setting's text, refused if it holds a control character or is longer than any such setting.</summary>
    private static string Checked(string name, string key, string text, Place place)
    {
        var control = VaultText.FirstControl(text);
        if (control >= 0)
            throw new ITwinAuthException(ITwinErrorIds.SecretValueInvalid, ITwinErrorCategory.InvalidData,
                $"{Where(name, key, place)} holds a control character (at position {control + 1}), which no client id, scope or URI has " +
                $"(a line break or an escape sequence copied with it?). {Remedy(name, key, place)}", name);
        var maximum = MaximumSettingLength[key];
        if (text.Length > maximum)
            throw new ITwinAuthException(ITwinErrorIds.SecretValueInvalid, ITwinErrorCategory.InvalidData,
                $"{Where(name, key, place)} is {text.Length.ToString("N0", CultureInfo.InvariantCulture)} characters long; " +
                $"at most {maximum.ToString("N0", CultureInfo.InvariantCulture)} are accepted. {Remedy(name, key, place)}", name);
        return text;
    }

    private static ITwinAuthException NotText(string name, string key, Place place, string what) =>
        new(ITwinErrorIds.SecretTypeNotSupported, ITwinErrorCategory.InvalidType,
            $"{Where(name, key, place)} is {what}, not text: it must be a string (or a SecureString{(key == "Scope" ? ", or a list of strings" : string.Empty)}). " +
            Remedy(name, key, place), name);

    private static string Where(string name, string key, Place place) => place switch
    {
        Place.Metadata => $"The {key} in the metadata of the secret '{name}'",
        Place.CredentialUserName => $"The user name (the client id) of the PSCredential in the secret '{name}'",
        _ => $"The {key} of the Hashtable in the secret '{name}'",
    };

    private static string Remedy(string name, string key, Place place) => place switch
    {
        Place.Metadata => $"Store it as a string: Set-SecretInfo -Name {name} -Metadata @{{ {key} = '...' }}.",
        Place.CredentialUserName => $"Store the app again: Set-Secret -Name {name} -Secret (Get-Credential 'service-...').",
        _ => $"Store it as a string: Set-Secret -Name {name} -Secret @{{ ClientId = 'service-...'; ClientSecret = ...; {(key == "ClientId" ? string.Empty : $"{key} = '...' ")}}}.",
    };

    public static ITwinAuthException MissingClientId(string secretName) =>
        new(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument,
            $"The secret '{secretName}' holds no client id. Give -ClientId, store a PSCredential whose user name is the client id, " +
            $"or add it as metadata: Set-SecretInfo -Name {secretName} -Metadata @{{ ClientId = 'service-...' }}.", secretName);

    private static ITwinAuthException Unusable(string name, string what) =>
        new(ITwinErrorIds.SecretTypeNotSupported, ITwinErrorCategory.InvalidType,
            $"The secret '{name}' is {what}, which cannot hold a service app. Store a PSCredential " +
            "(user name = client id, password = client secret), a SecureString with ClientId metadata, " +
            "or a Hashtable with ClientId and ClientSecret.", name);

    /// <summary>A value's type as a message names it (the name is the vault's: an excerpt, without control characters).</summary>
    private static string TypeName(object value) => VaultText.Excerpt(value.GetType().Name, 80);

    private static object? Value(IDictionary table, string key)
    {
        foreach (DictionaryEntry entry in table)
            if (string.Equals(entry.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase))
                return PowerShellValues.Unwrap(entry.Value);
        return null;
    }
}
