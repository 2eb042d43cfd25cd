using System;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>The identity behind a token, as GET /users/me returns it. For a service application
/// the names are placeholders and the email is {client_id}@apps.imsoidc.bentley.com.</summary>
public sealed class ITwinUser
{
    public Guid Id { get; init; }
    public string? DisplayName { get; init; }
    public string? GivenName { get; init; }
    public string? Surname { get; init; }
    public string? Email { get; init; }
    public string? AlternateEmail { get; init; }
    public string? Phone { get; init; }
    public string? OrganizationName { get; init; }
    public string? City { get; init; }
    public string? Country { get; init; }
    public string? Language { get; init; }
    public DateTimeOffset? CreatedDateTime { get; init; }

    /// <summary>The user of a GET /users/... answer: {"user": {...}}.</summary>
    internal static ITwinUser From(HttpResult result)
    {
        using var document = JsonRead.TryParse(result.Body);
        if (document?.RootElement.Property("user") is not { ValueKind: System.Text.Json.JsonValueKind.Object } user)
            throw document is null
                ? ApiErrors.NotJson(result)
                : new ITwinAuthException(ITwinErrorIds.ResponseNotJson, ITwinErrorCategory.InvalidResult,
                    $"{result.Target} answered without a 'user' object.", result.Target);
        return new ITwinUser
        {
            Id = user.Guid("id"),
            DisplayName = user.String("displayName"),
            GivenName = user.String("givenName"),
            Surname = user.String("surname"),
            Email = user.String("email"),
            AlternateEmail = user.String("alternateEmail"),
            Phone = user.String("phone"),
            OrganizationName = user.String("organizationName"),
            City = user.String("city"),
            Country = user.String("country"),
            Language = user.String("language"),
            CreatedDateTime = user.Date("createdDateTime"),
        };
    }

    public override string ToString() => string.IsNullOrEmpty(Email) ? Id.ToString() : Email!;
}
