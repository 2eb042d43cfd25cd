using System.Globalization;

namespace ITwinAuth.Emulator;

/// <summary>
/// The Access Control API (v2), read side: an iTwin's user members (the calling service app, whose
/// identity an admin added, and three people) with their roles, and the iTwin's roles. Fields as
/// Bentley documents them; the same for every iTwin.
/// </summary>
public static class AccessControl
{
    private sealed record Role(string Name, string Description, string[] Permissions)
    {
        public Guid Id => AppRegistry.DeterministicGuid("role-" + Name);
    }

    private static readonly Role[] Roles =
    {
        new("Administrator", "Manages the iTwin's members, roles and data.",
            new[] { "administration_invite_member", "administration_manage_roles", "administration_remove_member", "itwins_read", "itwins_modify", "imodels_read", "imodels_write" }),
        new("Contributor", "Reads and writes iModels and reality data.", new[] { "itwins_read", "imodels_read", "imodels_write", "realitydata_read", "realitydata_modify" }),
        new("Viewer", "Reads the iTwin's data.", new[] { "itwins_read", "imodels_read", "imodels_webview", "realitydata_read" }),
    };

    private sealed record Person(string GivenName, string Surname, string Organization, int[] RoleIndexes)
    {
        public string Email => $"{GivenName}.{Surname}@example.com".ToLowerInvariant();
        public Guid Id => AppRegistry.DeterministicGuid("member-" + Email);
    }

    private static readonly Person[] People =
    {
        new("Ada", "Lovelace", "Analytical Engines Ltd", new[] { 0 }),
        new("Grace", "Hopper", "Emulated Organization", new[] { 1, 2 }),
        new("Alan", "Turing", "Emulated Organization", new[] { 2 }),
    };

    public static void Map(IEndpointRouteBuilder api, EmulatorState state, Func<HttpContext, RegisteredApp?> caller)
    {
        api.MapGet("/accesscontrol/itwins/{id}/members/users", (HttpContext http, string id) =>
        {
            if (!Known(state, id, out var iTwinId)) return ITwinNotFound();
            var members = Members(caller(http)).ToList();
            var top = 100;
            var skip = 0;
            var query = http.Request.Query;
            if (query.TryGetValue("$top", out var topText) && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > 100))
                return ITwinErrors.Result(422, "InvalidRequest", "$top must be between 1 and 100.", "$top");
            if (query.TryGetValue("$skip", out var skipText) && !int.TryParse(skipText, NumberStyles.None, CultureInfo.InvariantCulture, out skip))
                return ITwinErrors.Result(422, "InvalidRequest", "$skip must be zero or more.", "$skip");
            var links = new ApiLinks(state);
            var path = $"accesscontrol/itwins/{iTwinId}/members/users";
            return Results.Json(new Dictionary<string, object?>
            {
                ["members"] = members.Skip(skip).Take(top).ToList(),
                ["_links"] = new Dictionary<string, object?>
                {
                    ["self"] = links.Href($"{path}?$top={top}&$skip={skip}"),
                    ["prev"] = skip > 0 ? links.Href($"{path}?$top={top}&$skip={Math.Max(0, skip - top)}") : null,
                    ["next"] = skip + top < members.Count ? links.Href($"{path}?$top={top}&$skip={skip + top}") : null,
                },
            });
        }).RequireAuthorization(PlatformApi.ITwinsRead);

        api.MapGet("/accesscontrol/itwins/{id}/members/users/{memberId}", (HttpContext http, string id, string memberId) =>
        {
            if (!Known(state, id, out _)) return ITwinNotFound();
            var member = Members(caller(http)).FirstOrDefault(m => string.Equals(m["id"]!.ToString(), memberId, StringComparison.OrdinalIgnoreCase));
            return member is null
                ? ITwinErrors.Result(404, "TeamMemberNotFound", "Requested team member is not available.", "memberId")
                : Results.Json(new { member });
        }).RequireAuthorization(PlatformApi.ITwinsRead);

        api.MapGet("/accesscontrol/itwins/{id}/roles", (string id) =>
            Known(state, id, out _)
                ? Results.Json(new { roles = Roles.Select(r => RoleBody(r, permissions: true)).ToList() })
                : ITwinNotFound())
            .RequireAuthorization(PlatformApi.ITwinsRead);

        api.MapGet("/accesscontrol/itwins/{id}/roles/{roleId}", (string id, string roleId) =>
        {
            if (!Known(state, id, out _)) return ITwinNotFound();
            var role = Roles.FirstOrDefault(r => Guid.TryParse(roleId, out var wanted) && wanted == r.Id);
            return role is null
                ? ITwinErrors.Result(404, "RoleNotFound", "Requested role is not available.", "roleId")
                : Results.Json(new { role = RoleBody(role, permissions: true) });
        }).RequireAuthorization(PlatformApi.ITwinsRead);
    }

    // Access Control spells it "ItwinNotFound".
    private static IResult ITwinNotFound() => ITwinErrors.Result(404, "ItwinNotFound", "Requested iTwin is not available.", "id");

    private static bool Known(EmulatorState state, string id, out Guid iTwinId) =>
        Guid.TryParse(id, out iTwinId) && state.ITwins.IndexOf(iTwinId) >= 0;

    private static Dictionary<string, object?> RoleBody(Role role, bool permissions)
    {
        var body = new Dictionary<string, object?> { ["id"] = role.Id, ["displayName"] = role.Name, ["description"] = role.Description };
        if (permissions) body["permissions"] = role.Permissions;
        return body;
    }

    /// <summary>The caller's own identity first (given the Administrator role), then the people.</summary>
    private static IEnumerable<Dictionary<string, object?>> Members(RegisteredApp? caller)
    {
        if (caller is not null)
            yield return Member(caller.UserId, $"{caller.ClientId}@apps.imsoidc.bentley.com", caller.Name, "LastName", "Emulated Organization", new[] { 0 });
        foreach (var person in People)
            yield return Member(person.Id, person.Email, person.GivenName, person.Surname, person.Organization, person.RoleIndexes);
    }

    private static Dictionary<string, object?> Member(Guid id, string email, string givenName, string surname, string organization, int[] roles) => new()
    {
        ["id"] = id,
        ["email"] = email,
        ["givenName"] = givenName,
        ["surname"] = surname,
        ["organization"] = organization,
        ["roles"] = roles.Select(i => RoleBody(Roles[i], permissions: false)).ToList(),
    };
}
