using System.Text;
using System.Text.Json;

namespace ITwinAuth.Emulator;

/// <summary>
/// One fault a test arms: which requests it hits (path prefix, method, after how many passes, how
/// often) and what it does to them.
/// </summary>
public sealed class FaultRule
{
    public string Path { get; set; } = "/";
    public string? Method { get; set; }
    /// <summary>respond | delay | truncate | reset | foreign-next, and the hostile ones: endless (a body
    /// that never ends), oversized (Bytes bytes, declared), flood (Bytes bytes, not declared),
    /// gzip-bomb, bad-encoding (Encoding gzip or br over bytes that are not), abort (read the request,
    /// then drop the connection without an answer), and the attack tests' pages (a listing that never
    /// ends), json-big (a large valid JSON body) and refuse-stream (see AttackResponses).</summary>
    public string Action { get; set; } = "respond";
    public int Status { get; set; } = 503;
    /// <summary>Retry-After in seconds (the delta form).</summary>
    public int? RetryAfterSeconds { get; set; }
    /// <summary>Retry-After exactly as given, usable or not (-5, abc, 99999999999).</summary>
    public string? RetryAfterRaw { get; set; }
    /// <summary>Retry-After as an HTTP date this many seconds from now.</summary>
    public int? RetryAfterDateSeconds { get; set; }
    public string? Body { get; set; }
    /// <summary>A Location header, for redirects (Status 301/302/303/307/308).</summary>
    public string? Location { get; set; }
    public string? ContentType { get; set; }
    /// <summary>The body size for oversized and flood; the decompressed size for gzip-bomb.</summary>
    public long Bytes { get; set; }
    /// <summary>The Content-Encoding that bad-encoding claims: gzip, deflate or br.</summary>
    public string Encoding { get; set; } = "gzip";
    public int DelayMs { get; set; }
    /// <summary>How many matching requests it hits; -1 for all of them.</summary>
    public int Times { get; set; } = 1;
    /// <summary>How many matching requests pass untouched before it starts.</summary>
    public int Skip { get; set; }
    /// <summary>Chance (0..1) that a matching request is hit; seeded, so a run is repeatable.</summary>
    public double Probability { get; set; } = 1.0;
    /// <summary>More response headers for respond (names and values as Kestrel allows them).</summary>
    public Dictionary<string, string>? Headers { get; set; }
    /// <summary>pages: the cycle's length (0: never cycles; 1: a page links to itself).</summary>
    public int CycleLength { get; set; }
    /// <summary>pages: items on each page (0: empty pages).</summary>
    public int ItemsPerPage { get; set; }
    /// <summary>pages: the collection's name (the array beside _links).</summary>
    public string? CollectionName { get; set; }
    /// <summary>pages: a new "#k" on every next link (the same page under another URI).</summary>
    public bool FragmentLinks { get; set; }
    /// <summary>pages: this many characters of padding in every next link's query.</summary>
    public int LinkPadding { get; set; }
    /// <summary>json-big: zeros ([0,0,...]), objects ([{},{},...]) or string ({"s":"777..."}).</summary>
    public string Shape { get; set; } = "zeros";
    internal int Hits;
}

/// <summary>Holds armed faults and applies them, in order of arming, as middleware.</summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly List<FaultRule> _rules = new();
    private readonly Random _random = new(20261129);

    public void Arm(IEnumerable<FaultRule> rules)
    {
        lock (_gate) _rules.AddRange(rules);
    }

    public void Clear()
    {
        lock (_gate) _rules.Clear();
    }

    public int Armed
    {
        get { lock (_gate) return _rules.Count; }
    }

    private FaultRule? Take(HttpRequest request)
    {
        lock (_gate)
        {
            foreach (var rule in _rules)
            {
                if (!request.Path.StartsWithSegments(rule.Path, StringComparison.OrdinalIgnoreCase) &&
                    !string.Equals(request.Path, rule.Path, StringComparison.OrdinalIgnoreCase))
                    continue;
                if (rule.Method is not null && !HttpMethods.Equals(rule.Method, request.Method))
                    continue;
                if (rule.Skip > 0) { rule.Skip--; continue; }
                if (rule.Probability < 1.0 && _random.NextDouble() >= rule.Probability)
                    continue;
                rule.Hits++;
                if (rule.Times > 0 && --rule.Times == 0)
                    _rules.Remove(rule);
                return rule;
            }
            return null;
        }
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // The admin endpoints are never faulted; the echo endpoint stands for an API and is.
        if (context.Request.Path.StartsWithSegments("/_emulator") && !context.Request.Path.StartsWithSegments("/_emulator/echo"))
        {
            await next(context);
            return;
        }

        var rule = Take(context.Request);
        if (rule is null)
        {
            await next(context);
            return;
        }

        switch (rule.Action)
        {
            case "delay":
                await Task.Delay(rule.DelayMs, context.RequestAborted).ContinueWith(_ => { });
                if (!context.RequestAborted.IsCancellationRequested) await next(context);
                return;
            case "foreign-next":
                context.Items["foreign-next"] = true;
                await next(context);
                return;
            case "truncate":
            case "reset":
                await RewriteBodyAsync(context, next, rule.Action == "reset");
                return;
            case "endless":
            case "oversized":
            case "flood":
            case "gzip-bomb":
            case "bad-encoding":
            case "abort":
                await HostileResponses.SendAsync(context, rule);
                return;
            case var attack when AttackResponses.Handles(attack):
                await AttackResponses.SendAsync(context, rule, context.RequestServices.GetRequiredService<EmulatorState>().Stats);
                return;
            default:
                await RespondAsync(context, rule);
                return;
        }
    }

    private static async Task RespondAsync(HttpContext context, FaultRule rule)
    {
        if (rule.DelayMs > 0) await Task.Delay(rule.DelayMs, context.RequestAborted).ContinueWith(_ => { });
        var response = context.Response;
        response.StatusCode = rule.Status;
        if (rule.RetryAfterSeconds is { } seconds)
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (rule.RetryAfterDateSeconds is { } dateSeconds)
            response.Headers.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(dateSeconds).ToString("R");
        if (rule.RetryAfterRaw is not null)
            response.Headers.RetryAfter = rule.RetryAfterRaw;
        if (rule.Location is not null)
            response.Headers.Location = rule.Location;
        if (rule.Headers is not null)
            foreach (var (name, value) in rule.Headers) response.Headers[name] = value;
        if (rule.Status == 429)
        {
            // The platform's rate-limit headers (since 2024-11); the body is TooManyRequests unless the
            // rule gives its own (e.g. reality modeling's RateLimitExceeded).
            response.Headers["ITwinPlatform-RateLimited-Tier"] = "trial";
            response.Headers["ITwinPlatform-RateLimited-API"] = "emulator";
            response.Headers["ITwinPlatform-RateLimited-Operation"] = context.Request.Method + " " + context.Request.Path;
            response.Headers["ITwinPlatform-RateLimited-Application"] = "emulated-application";
        }
        var body = rule.Body ?? ITwinErrors.Json(ITwinErrors.CodeFor(rule.Status), ITwinErrors.MessageFor(rule.Status));
        response.ContentType = rule.ContentType ?? "application/json";
        await response.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Runs the real endpoint, then sends half its body: as a short but complete body
    /// (truncated JSON), or with the full Content-Length and a reset connection.</summary>
    private static async Task RewriteBodyAsync(HttpContext context, RequestDelegate next, bool reset)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        await next(context);
        context.Response.Body = original;
        var bytes = buffer.ToArray();
        var half = bytes.AsMemory(0, bytes.Length / 2);
        context.Response.ContentLength = reset ? bytes.Length : half.Length;
        await original.WriteAsync(half);
        await original.FlushAsync();
        if (reset) context.Abort();
    }

    public static FaultRule[] Parse(JsonElement body) =>
        body.ValueKind == JsonValueKind.Array
            ? body.Deserialize<FaultRule[]>(JsonOptions.Web)!
            : new[] { body.Deserialize<FaultRule>(JsonOptions.Web)! };
}

internal static class JsonOptions
{
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
}

/// <summary>The iTwin Platform's error body: {"error": {"code", "message", "target"?, "details"?}}.</summary>
public static class ITwinErrors
{
    public static string Json(string code, string message, string? target = null)
    {
        var error = new Dictionary<string, object?> { ["code"] = code, ["message"] = message };
        if (target is not null) error["target"] = target;
        return JsonSerializer.Serialize(new { error });
    }

    public static IResult Result(int status, string code, string message, string? target = null) =>
        Results.Text(Json(code, message, target), "application/json", Encoding.UTF8, status);

    public static string CodeFor(int status) => status switch
    {
        400 => "InvalidRequest",
        401 => "Unauthorized",
        403 => "InsufficientPermissions",
        404 => "NotFound",
        409 => "Conflict",
        413 => "PayloadTooLarge",
        422 => "InvalidRequest",
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InternalServerError",
    };

    public static string MessageFor(int status) => status switch
    {
        429 => "More requests were received than the subscription rate-limit allows.",
        503 => "The service is temporarily unavailable.",
        504 => "The gateway timed out.",
        _ => $"The emulator injected a {status} fault.",
    };
}
