using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ITwinAuth.Emulator;

public sealed record AppRegistration(
    string? ClientId = null,
    string? ClientSecret = null,
    string[]? Scopes = null,
    string? Name = null,
    int? TokenLifetimeSeconds = null);

public sealed class RegisteredApp
{
    public required string ClientId { get; init; }
    public required string ClientSecret { get; set; }
    public required string[] Scopes { get; init; }
    public required string Name { get; init; }
    public required Guid UserId { get; init; }
    public int? TokenLifetimeSeconds { get; set; }
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    public ConcurrentDictionary<string, byte> Favorites { get; } = new();
}

/// <summary>The service applications the emulated IMS knows, as "My apps" would list them.</summary>
public sealed class AppRegistry
{
    public static readonly string[] DefaultScopes = { "itwin-platform" };

    private readonly ConcurrentDictionary<string, RegisteredApp> _apps = new(StringComparer.Ordinal);

    public RegisteredApp Register(AppRegistration r)
    {
        var clientId = r.ClientId ?? "service-" + RandomString(8).ToLowerInvariant();
        var app = new RegisteredApp
        {
            ClientId = clientId,
            ClientSecret = r.ClientSecret ?? RandomString(40),
            Scopes = r.Scopes is { Length: > 0 } ? r.Scopes : DefaultScopes,
            Name = r.Name ?? "CLIENT_NAME",
            UserId = DeterministicGuid(clientId),
            TokenLifetimeSeconds = r.TokenLifetimeSeconds,
        };
        _apps[clientId] = app;
        return app;
    }

    public IEnumerable<string> Secrets() => _apps.Values.Select(a => a.ClientSecret).Where(s => s.Length >= 6);

    public RegisteredApp? Find(string? clientId) =>
        clientId is not null && _apps.TryGetValue(clientId, out var app) ? app : null;

    public static bool SecretMatches(RegisteredApp app, string? secret) =>
        secret is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(app.ClientSecret), System.Text.Encoding.UTF8.GetBytes(secret));

    public static Guid DeterministicGuid(string seed)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed));
        return new Guid(hash.AsSpan(0, 16));
    }

    private static string RandomString(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}
