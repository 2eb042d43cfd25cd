using System;

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

    public override string ToString() => string.IsNullOrEmpty(Email) ? Id.ToString() : Email!;
}
