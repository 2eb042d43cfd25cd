using System;

namespace ITwinAuth.Core;

/// <summary>
/// What one place says about the app: the parameters, the secret itself (a Hashtable), the secret's
/// metadata, or environment variables. A null property means that place says nothing about it.
/// </summary>
public sealed class AppSettings
{
    public static readonly AppSettings None = new();

    public string? ClientId { get; init; }
    public string[]? Scopes { get; init; }
    public string? Authority { get; init; }
    public string? ApiBaseUri { get; init; }

    /// <summary>True when every setting is given here, so places further down need not be read.</summary>
    public bool IsComplete => ClientId is not null && Scopes is not null && Authority is not null && ApiBaseUri is not null;

    /// <summary>This place's settings where it has them, the other's elsewhere.</summary>
    public AppSettings Over(AppSettings other) => new()
    {
        ClientId = ClientId ?? other.ClientId,
        Scopes = Scopes ?? other.Scopes,
        Authority = Authority ?? other.Authority,
        ApiBaseUri = ApiBaseUri ?? other.ApiBaseUri,
    };

    /// <summary>A stored text setting: blank counts as not set.</summary>
    public static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

    public static string[]? CleanScopes(string? value) =>
        Clean(value) is { } text ? text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries) : null;
}
