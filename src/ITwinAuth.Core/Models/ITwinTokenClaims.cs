using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// What an access token says about itself, decoded from its JWT payload (not verified: the API does
/// that). The token itself is never shown. A token that is not a JWT has no claims to read:
/// <see cref="IsJwt"/> is false and every claim is empty. Every value is made safe to show
/// (<see cref="ServerText"/>).
/// </summary>
public sealed class ITwinTokenClaims
{
    /// <summary>The largest payload read: a token is at most 64 Ki characters anyway.</summary>
    private const int MaximumPayload = 64 * 1024;

    private ITwinTokenClaims() { }

    public bool IsJwt { get; private init; }
    public string? Subject { get; private init; }
    public string? ClientId { get; private init; }
    public string? Issuer { get; private init; }
    public string[] Audience { get; private init; } = Array.Empty<string>();
    public string[] Scopes { get; private init; } = Array.Empty<string>();
    public string? Organization { get; private init; }
    public DateTimeOffset? IssuedAt { get; private init; }
    public DateTimeOffset? NotBefore { get; private init; }
    public DateTimeOffset? ExpiresAt { get; private init; }
    public string? JwtId { get; private init; }

    public override string ToString() => IsJwt
        ? $"{ClientId ?? Subject} from {Issuer} [{string.Join(" ", Scopes)}] until {ExpiresAt:u}"
        : "not a JWT (an opaque token): it carries no claims to read";

    /// <summary>The payload has a client_id that is neither a string nor a number (an array, an object): a
    /// token that names its client in a way no check can read.</summary>
    internal bool ClientIdNotText { get; private init; }

    internal static ITwinTokenClaims Decode(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[1].Length == 0 || parts[1].Length > MaximumPayload || FromBase64Url(parts[1]) is not { } payload)
            return new ITwinTokenClaims();
        using var document = JsonRead.TryParse(payload);
        if (document is not { RootElement.ValueKind: JsonValueKind.Object }) return new ITwinTokenClaims();
        var root = document.RootElement;
        return new ITwinTokenClaims
        {
            IsJwt = true,
            Subject = Text(root, "sub"),
            ClientId = Text(root, "client_id"),
            Issuer = Text(root, "iss"),
            Audience = Texts(root, "aud"),
            Scopes = Texts(root, "scope"),
            Organization = Text(root, "org_name") ?? Text(root, "organization") ?? Text(root, "org"),
            IssuedAt = Time(root, "iat"),
            NotBefore = Time(root, "nbf"),
            ExpiresAt = Time(root, "exp"),
            JwtId = Text(root, "jti"),
            ClientIdNotText = root.Property("client_id") is { } id && Text(root, "client_id") is null && id.ValueKind != JsonValueKind.Null,
        };
    }

    private static byte[]? FromBase64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 += (base64.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.Property(name) is { } value && value.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? ServerText.Line(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(), 200)
            : null;

    /// <summary>A claim that is a string ("a b", space separated, as scope) or an array of strings.</summary>
    private static string[] Texts(JsonElement root, string name) => root.Property(name) switch
    {
        { ValueKind: JsonValueKind.String } one => (one.GetString() ?? string.Empty).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
            .Take(100).Select(s => ServerText.Line(s, 200)).ToArray(),
        { ValueKind: JsonValueKind.Array } many => many.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String)
            .Take(100).Select(e => ServerText.Line(e.GetString(), 200)).ToArray(),
        _ => Array.Empty<string>(),
    };

    private static DateTimeOffset? Time(JsonElement root, string name) =>
        root.Integer(name) is { } seconds && seconds is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
