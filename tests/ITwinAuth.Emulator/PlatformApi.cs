using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

namespace ITwinAuth.Emulator;

/// <summary>The emulated api.bentley.com: JwtBearer validates tokens for real against the emulated
/// IMS's discovery and JWKS, and answers in the iTwin shapes and errors.</summary>
public static class PlatformApi
{
    public const string UsersRead = "users-read";
    public const string ITwinsRead = "itwins-read";
    public const string ITwinsModify = "itwins-modify";
    public const string IModelsRead = "imodels-read";
    public const string RealityDataRead = "realitydata-read";

    public static void AddEmulatedApi(this IServiceCollection services, EmulatorState state)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = state.IssuerUri.ToString();
            o.RequireHttpsMetadata = false;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.ValidAudience = IdentityServer.Audience;
            o.TokenValidationParameters.ClockSkew = TimeSpan.Zero;
            // Lifetime on the clock tokens are issued by (EmulatorClock), with the skew set above.
            o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = state.Clock.GetUtcNow().UtcDateTime;
                var skew = parameters.ClockSkew;
                return expires is { } end && now < end + skew &&
                    (notBefore is not { } start || (start <= now + skew && start <= end));
            };
            // Pick up a rotated signing key within a second (the default waits minutes), and do not
            // fall back to the last known good keys: a token signed with a retired key is refused.
            o.RefreshInterval = TimeSpan.FromSeconds(1);
            o.TokenValidationParameters.ValidateWithLKG = false;
            o.ConfigurationManager = new Microsoft.IdentityModel.Protocols.ConfigurationManager<Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration>(
                new Uri(state.IssuerUri, ".well-known/openid-configuration").ToString(),
                new Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfigurationRetriever(),
                new Microsoft.IdentityModel.Protocols.HttpDocumentRetriever(DiscoveryClient(state)) { RequireHttps = false })
            {
                RefreshInterval = TimeSpan.FromSeconds(1),
                UseLastKnownGoodConfiguration = false,
            };
            o.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    state.Stats.Unauthorized();
                    var noHeader = !context.Request.Headers.ContainsKey("Authorization");
                    context.Response.StatusCode = 401;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(noHeader
                        ? ITwinErrors.Json("HeaderNotFound", "Header Authorization was not found in the request. Access denied.")
                        : ITwinErrors.Json("InvalidAuthorizationToken", "The access token is invalid or has expired."));
                },
                OnForbidden = async context =>
                {
                    context.Response.StatusCode = 403;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(ITwinErrors.Json(
                        "InsufficientPermissions", "The access token does not carry a scope this API requires."));
                },
            };
        });

        services.AddAuthorizationBuilder()
            .AddPolicy(UsersRead, p => p.RequireAssertion(c => HasAnyScope(c.User, "itwin-platform", "users:read")))
            .AddPolicy(ITwinsRead, p => p.RequireAssertion(c => HasAnyScope(c.User, "itwin-platform", "itwins:read")))
            .AddPolicy(ITwinsModify, p => p.RequireAssertion(c => HasAnyScope(c.User, "itwin-platform", "itwins:modify")))
            .AddPolicy(IModelsRead, p => p.RequireAssertion(c => HasAnyScope(c.User, "itwin-platform", "imodels:read")))
            .AddPolicy(RealityDataRead, p => p.RequireAssertion(c => HasAnyScope(c.User, "itwin-platform", "realitydata:read")));
    }

    /// <summary>The API's own client for the IMS discovery and keys: over TLS it trusts the emulator's
    /// certificate only.</summary>
    private static HttpClient DiscoveryClient(EmulatorState state)
    {
        var handler = new HttpClientHandler();
        if (state.Certificate is { } ours)
            handler.ServerCertificateCustomValidationCallback = (_, presented, _, _) => TlsCertificate.IsOurs(ours, presented);
        return new HttpClient(handler);
    }

    private static bool HasAnyScope(ClaimsPrincipal user, params string[] wanted) =>
        user.FindAll("scope")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(s => wanted.Contains(s, StringComparer.Ordinal));

    private static RegisteredApp? Caller(HttpContext http, EmulatorState state) =>
        state.Apps.Find(http.User.FindFirst("client_id")?.Value);

    public static void MapEmulatedApi(this IEndpointRouteBuilder api, EmulatorState state)
    {
        api.MapMethods("/users/me", new[] { "GET", "HEAD" }, (HttpContext http) =>
        {
            var app = Caller(http, state);
            return app is null
                ? ITwinErrors.Result(404, "UserNotFound", "The requested user was not found.")
                : Results.Json(new { user = User(app) });
        }).RequireAuthorization(UsersRead);

        api.MapGet("/users/{id}", (HttpContext http, string id) =>
        {
            if (!Guid.TryParse(id, out var userId))
                return ITwinErrors.Result(422, "InvalidUsersRequest", "The user id must be a GUID.", "id");
            var app = Caller(http, state);
            if (app is null || app.UserId != userId)
                return ITwinErrors.Result(404, "UserNotFound", "The requested user was not found.");
            var u = User(app);
            return Results.Json(new { user = new { u.id, u.email, u.givenName, u.surname, u.organizationName } });
        }).RequireAuthorization(UsersRead);

        // Not an iTwin endpoint: echoes what a request carried, so tests can see the body and headers sent.
        api.MapMethods("/_emulator/echo", new[] { "POST", "PUT", "PATCH", "DELETE" }, async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            state.Stats.BodyDelivered();
            return Results.Json(new
            {
                method = http.Request.Method,
                contentType = http.Request.ContentType,
                accept = http.Request.Headers.Accept.ToString(),
                custom = http.Request.Headers["X-Custom"].ToString(),
                body,
            });
        }).RequireAuthorization(UsersRead);

        api.MapGet("/itwins", (HttpContext http) => Page(http, state, favoritesOnly: false)).RequireAuthorization(ITwinsRead);
        api.MapGet("/itwins/favorites", (HttpContext http) => Page(http, state, favoritesOnly: true)).RequireAuthorization(ITwinsRead);

        api.MapPost("/itwins", (HttpContext http, JsonElement body) => CreateITwin(http, state, body)).RequireAuthorization(ITwinsModify);

        api.MapGet("/itwins/{id}", (string id) =>
            Guid.TryParse(id, out var itwinId) && state.ITwins.IndexOf(itwinId) is var index and >= 0
                ? Results.Json(new { iTwin = state.ITwins.Item(index, representation: true) })
                : ITwinErrors.Result(404, "iTwinNotFound", "Requested iTwin is not available.", "id"))
            .RequireAuthorization(ITwinsRead);

        // The iModels API (v2): the iModels of one iTwin, two per iTwin.
        api.MapGet("/imodels", (HttpContext http) =>
        {
            var iTwinId = http.Request.Query["iTwinId"].ToString();
            if (iTwinId.Length == 0)
                return ITwinErrors.Result(422, "InvalidiModelsRequest", "Required query parameter iTwinId is missing.", "iTwinId");
            if (!Guid.TryParse(iTwinId, out var id) || state.ITwins.IndexOf(id) < 0)
                return ITwinErrors.Result(404, "iTwinNotFound", "Requested iTwin is not available.", "iTwinId");
            var representation = http.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.OrdinalIgnoreCase);
            var self = new Uri(state.ApiUri, $"imodels?iTwinId={id}").ToString();
            return Results.Json(new Dictionary<string, object?>
            {
                ["iModels"] = ITwinStore.IModelsOf(id, representation, new ApiLinks(state)).ToList(),
                ["_links"] = new { self = new { href = self }, prev = (object?)null, next = (object?)null },
            });
        }).RequireAuthorization(IModelsRead);

        api.MapGet("/realitydata", (HttpContext http) => RealityData.Page(http, state)).RequireAuthorization(RealityDataRead);

        // One iModel, its changesets and named versions; an iTwin's members and roles.
        IModels.Map(api, state);
        AccessControl.Map(api, state, http => Caller(http, state));

        api.MapPost("/itwins/favorites/{id}", (HttpContext http, string id) =>
        {
            if (!Guid.TryParse(id, out var itwinId) || state.ITwins.IndexOf(itwinId) < 0)
                return ITwinErrors.Result(404, "iTwinNotFound", "Requested iTwin is not available.", "id");
            Caller(http, state)!.Favorites[itwinId.ToString()] = 0;
            return Results.StatusCode(204);
        }).RequireAuthorization(ITwinsModify);

        api.MapDelete("/itwins/favorites/{id}", (HttpContext http, string id) =>
            Caller(http, state)!.Favorites.TryRemove(id.ToLowerInvariant(), out _)
                ? Results.StatusCode(204)
                : ITwinErrors.Result(404, "iTwinNotFound", "Requested iTwin is not a favorite.", "id"))
            .RequireAuthorization(ITwinsModify);
    }

    private static readonly string[] RequiredITwinFields = { "displayName", "class", "subClass" };

    private static IResult CreateITwin(HttpContext http, EmulatorState state, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            return ITwinErrors.Result(422, "InvalidiTwinsRequest", "The request body must be a JSON object.");
        var fields = body.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
        foreach (var required in RequiredITwinFields)
        {
            if (!body.TryGetProperty(required, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Trim().Length == 0)
                return ITwinErrors.Result(422, "InvalidiTwinsRequest", $"Required property {required} is missing or empty.", required);
        }
        var item = state.ITwins.Create(fields, Caller(http, state)?.UserId ?? Guid.Empty);
        return Results.Json(new { iTwin = item }, statusCode: 201);
    }

    private static UserBody User(RegisteredApp app) => new(
        id: app.UserId,
        displayName: "",
        givenName: app.Name,
        surname: "LastName",
        email: $"{app.ClientId}@apps.imsoidc.bentley.com",
        alternateEmail: "",
        phone: null,
        organizationName: "Emulated Organization",
        city: null,
        country: "US",
        language: "EN",
        createdDateTime: app.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));

    private sealed record UserBody(Guid id, string displayName, string givenName, string surname, string email,
        string alternateEmail, string? phone, string organizationName, string? city, string country, string language,
        string createdDateTime);

    private static IResult Page(HttpContext http, EmulatorState state, bool favoritesOnly)
    {
        var query = http.Request.Query;
        var top = 100;
        var skip = 0;
        if (query.TryGetValue("$top", out var topText) && (!int.TryParse(topText, out top) || top < 1 || top > 1000))
            return ITwinErrors.Result(422, "InvalidiTwinsRequest", "$top must be between 1 and 1000.", "$top");
        if (query.TryGetValue("$skip", out var skipText) && (!int.TryParse(skipText, out skip) || skip < 0))
            return ITwinErrors.Result(422, "InvalidiTwinsRequest", "$skip must be zero or more.", "$skip");

        // X-Max-Return caps the total a listing can reach (default 1000, 1-10,000) and is echoed back.
        int? maxReturn = null;
        if (state.EnforceMaxReturn)
        {
            maxReturn = DefaultMaxReturn;
            if (http.Request.Headers.TryGetValue(MaxReturnHeader, out var maxText))
            {
                if (!int.TryParse(maxText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1 || max > MaxMaxReturn)
                    return ITwinErrors.Result(422, "InvalidiTwinsRequest", $"{MaxReturnHeader} must be between 1 and {MaxMaxReturn}.", MaxReturnHeader);
                maxReturn = max;
            }
            http.Response.Headers[MaxReturnHeader] = maxReturn.Value.ToString(CultureInfo.InvariantCulture);
        }

        var representation = http.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<int> indexes = favoritesOnly
            ? Caller(http, state)!.Favorites.Keys.Select(k => state.ITwins.IndexOf(Guid.Parse(k))).Where(i => i >= 0).Order().ToList()
            : new RangeList(state.ITwins.Count);
        if (maxReturn is { } cap && indexes.Count > cap) indexes = new RangeList(cap, indexes);
        var items = new List<Dictionary<string, object?>>(Math.Min(top, Math.Max(0, indexes.Count - skip)));
        for (var i = skip; i < indexes.Count && items.Count < top; i++)
            items.Add(state.ITwins.Item(indexes[i], representation));

        var path = http.Request.Path.Value!;
        var baseUri = http.Items.ContainsKey("foreign-next") ? state.ForeignUri : state.ApiUri;
        string Link(Uri root, int s) => new Uri(root, $"{path.TrimStart('/')}?$top={top}&$skip={s}").ToString();
        var links = new Dictionary<string, object?> { ["self"] = new { href = Link(state.ApiUri, skip) } };
        if (skip > 0) links["prev"] = new { href = Link(state.ApiUri, Math.Max(0, skip - top)) };
        if (skip + top < indexes.Count) links["next"] = new { href = Link(baseUri, skip + top) };
        return Results.Json(new Dictionary<string, object?> { ["iTwins"] = items, ["_links"] = links });
    }

    public const string MaxReturnHeader = "X-Max-Return";
    private const int DefaultMaxReturn = 1000;
    private const int MaxMaxReturn = 10_000;

    /// <summary>0..count-1, or the first count items of another list: no copy of 100,000 indexes.</summary>
    private sealed class RangeList(int count, IReadOnlyList<int>? of = null) : IReadOnlyList<int>
    {
        public int this[int index] => of is null ? index : of[index];
        public int Count => count;
        public IEnumerator<int> GetEnumerator() => Enumerable.Range(0, count).Select(i => this[i]).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
