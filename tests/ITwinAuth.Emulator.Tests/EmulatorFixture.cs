using System.Net.Http.Headers;
using System.Text.Json;
using Xunit;

namespace ITwinAuth.Emulator.Tests;

/// <summary>One emulator in this process for the tests that share it (one collection: they arm faults
/// and change settings), and a plain HttpClient to talk to it as any client would.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorHost Host { get; private set; } = null!;
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync() => Host = await EmulatorHost.StartAsync(new EmulatorOptions { ITwinCount = 1500 });

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public RegisteredApp Register(string? secret = null, string[]? scopes = null, int? lifetime = null) =>
        Host.State.Apps.Register(new AppRegistration(null, secret, scopes, null, lifetime));

    /// <summary>A token by client credentials (client_secret_post), as the tutorial gets one.</summary>
    public Task<string> TokenAsync(RegisteredApp app, string? scope = null) => Api.TokenAsync(Http, Host, app.ClientId, app.ClientSecret, scope ?? string.Join(' ', app.Scopes));

    public Task<HttpResponseMessage> GetAsync(string token, string pathAndQuery, string? accept = null, params (string Name, string Value)[] headers) =>
        Api.GetAsync(Http, Host.ApiBaseUri, token, pathAndQuery, accept, headers);
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "emulator";
}

/// <summary>The few HTTP calls a client of the emulated platform makes.</summary>
public static class Api
{
    public const string V1 = "application/vnd.bentley.itwin-platform.v1+json";
    public const string V2 = "application/vnd.bentley.itwin-platform.v2+json";

    public static async Task<string> TokenAsync(HttpClient http, EmulatorHost host, string clientId, string secret, string scope) =>
        await TokenAsync(http, host.Authority, clientId, secret, scope);

    public static async Task<string> TokenAsync(HttpClient http, Uri authority, string clientId, string secret, string scope)
    {
        using var response = await http.PostAsync(new Uri(authority, "connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scope,
        }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("access_token").GetString()!;
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, Uri apiBase, string token, string pathAndQuery, string? accept = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(apiBase, pathAndQuery.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd(accept ?? V1);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The iTwin error body's code: {"error": {"code": ...}}.</summary>
    public static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString();
}
