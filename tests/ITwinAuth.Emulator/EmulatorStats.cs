using System.Collections.Concurrent;

namespace ITwinAuth.Emulator;

/// <summary>What tests count: token requests, API requests, TCP connections, and what a foreign host received.</summary>
public sealed class EmulatorStats
{
    private int _tokenRequests;
    private int _tokensIssued;
    private int _apiRequests;
    private int _apiUnauthorized;
    private int _connectionsOpened;
    private int _connectionsOpen;
    private int _connectionsOpenPeak;

    public ConcurrentQueue<RequestRecord> ForeignRequests { get; } = new();

    /// <summary>What went through the forward proxy, when there is one.</summary>
    public ConcurrentQueue<ProxiedRequest>? ProxiedRequests { get; set; }

    /// <summary>Every access token issued, so a leak scan can look for all of them.</summary>
    public ConcurrentQueue<string> IssuedTokens { get; } = new();

    /// <summary>Requests other than to the token endpoint that carried a client secret anywhere in
    /// their path, query, headers (Basic decoded) or body: always zero for a well-behaved client.</summary>
    private int _secretSightings;
    public int SecretSightings => Volatile.Read(ref _secretSightings);
    public void SecretSighted() => Interlocked.Increment(ref _secretSightings);

    /// <summary>Requests to the foreign host that carried an issued token anywhere, body included.</summary>
    private int _proxyCredentialSightings;
    public int ProxyCredentialSightings => Volatile.Read(ref _proxyCredentialSightings);
    public void ProxyCredentialSighted() => Interlocked.Increment(ref _proxyCredentialSightings);

    private int _tokenSightings;
    public int TokenSightings => Volatile.Read(ref _tokenSightings);
    public void TokenSightedElsewhere() => Interlocked.Increment(ref _tokenSightings);

    /// <summary>Requests with an Authorization header that reached a host other than the API (the token
    /// endpoint's client authentication aside): a token going where it must not.</summary>
    private int _authorizationElsewhere;
    public int AuthorizationElsewhere => Volatile.Read(ref _authorizationElsewhere);
    public void AuthorizationSeenElsewhere() => Interlocked.Increment(ref _authorizationElsewhere);

    /// <summary>Every request to the token endpoint and to discovery, faulted or not.</summary>
    private int _tokenEndpointRequests;
    private int _discoveryRequests;
    public void IdentityRequested(bool tokenEndpoint)
    {
        if (tokenEndpoint) Interlocked.Increment(ref _tokenEndpointRequests);
        else Interlocked.Increment(ref _discoveryRequests);
    }
    public ConcurrentQueue<RequestRecord> ApiLog { get; } = new();

    public int TokenRequests => Volatile.Read(ref _tokenRequests);
    public int TokensIssued => Volatile.Read(ref _tokensIssued);
    public int ApiRequests => Volatile.Read(ref _apiRequests);

    /// <summary>API requests JwtBearer refused (missing, invalid or expired token).</summary>
    public int ApiUnauthorized => Volatile.Read(ref _apiUnauthorized);
    public void Unauthorized() => Interlocked.Increment(ref _apiUnauthorized);

    public void TokenRequested() => Interlocked.Increment(ref _tokenRequests);
    public void TokenIssued() => Interlocked.Increment(ref _tokensIssued);

    public void ApiRequested(RequestRecord record)
    {
        Interlocked.Increment(ref _apiRequests);
        ApiLog.Enqueue(record);
        while (ApiLog.Count > 2000 && ApiLog.TryDequeue(out _)) { }
    }

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsOpened);
        RaisePeak(ref _connectionsOpenPeak, Interlocked.Increment(ref _connectionsOpen));
    }

    /// <summary>Keeps the highest value seen, without a lock.</summary>
    private static void RaisePeak(ref int peak, int now)
    {
        int seen;
        while (now > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connectionsOpen);

    /// <summary>API requests being answered right now, and the most at once since the last reset.</summary>
    private int _apiInFlight;
    private int _apiInFlightPeak;

    public void ApiStarted()
    {
        RaisePeak(ref _apiInFlightPeak, Interlocked.Increment(ref _apiInFlight));
    }

    public void ApiFinished() => Interlocked.Decrement(ref _apiInFlight);

    /// <summary>API requests by HTTP version: HTTP/2 only where TLS offered it and the client took it.</summary>
    private int _http1Requests;
    private int _http2Requests;

    public void ApiProtocol(string protocol)
    {
        if (protocol == "HTTP/2") Interlocked.Increment(ref _http2Requests);
        else Interlocked.Increment(ref _http1Requests);
    }

    /// <summary>Request bodies read whole by the echo endpoint and by the refuse-stream fault: how
    /// many times a request was delivered, whatever was answered.</summary>
    private int _bodiesDelivered;
    public void BodyDelivered() => Interlocked.Increment(ref _bodiesDelivered);

    public void Reset()
    {
        Interlocked.Exchange(ref _bodiesDelivered, 0);
        Interlocked.Exchange(ref _tokenRequests, 0);
        Interlocked.Exchange(ref _tokensIssued, 0);
        Interlocked.Exchange(ref _apiRequests, 0);
        Interlocked.Exchange(ref _apiUnauthorized, 0);
        Interlocked.Exchange(ref _tokenEndpointRequests, 0);
        Interlocked.Exchange(ref _discoveryRequests, 0);
        Interlocked.Exchange(ref _connectionsOpened, 0);
        Interlocked.Exchange(ref _connectionsOpenPeak, Volatile.Read(ref _connectionsOpen));
        Interlocked.Exchange(ref _apiInFlightPeak, Volatile.Read(ref _apiInFlight));
        Interlocked.Exchange(ref _http1Requests, 0);
        Interlocked.Exchange(ref _http2Requests, 0);
        ProxiedRequests?.Clear();
        ForeignRequests.Clear();
        ApiLog.Clear();
    }

    public object Snapshot(bool withLog = true) => new
    {
        tokenRequests = TokenRequests,
        tokensIssued = TokensIssued,
        apiRequests = ApiRequests,
        apiUnauthorized = ApiUnauthorized,
        secretSightings = SecretSightings,
        authorizationElsewhere = AuthorizationElsewhere,
        tokenSightings = TokenSightings,
        proxyCredentialSightings = ProxyCredentialSightings,
        tokenEndpointRequests = Volatile.Read(ref _tokenEndpointRequests),
        discoveryRequests = Volatile.Read(ref _discoveryRequests),
        connectionsOpened = Volatile.Read(ref _connectionsOpened),
        connectionsOpen = Volatile.Read(ref _connectionsOpen),
        connectionsOpenPeak = Volatile.Read(ref _connectionsOpenPeak),
        apiInFlight = Volatile.Read(ref _apiInFlight),
        apiInFlightPeak = Volatile.Read(ref _apiInFlightPeak),
        http1Requests = Volatile.Read(ref _http1Requests),
        http2Requests = Volatile.Read(ref _http2Requests),
        bodiesDelivered = Volatile.Read(ref _bodiesDelivered),
        proxyRequests = ProxiedRequests?.ToArray() ?? Array.Empty<ProxiedRequest>(),
        foreignRequests = ForeignRequests.ToArray(),
        apiLog = withLog ? ApiLog.ToArray() : null,
    };
}

/// <summary>One request as a host saw it; Headers and Body are kept for the foreign host only.</summary>
public sealed record RequestRecord(string Method, string PathAndQuery, bool HadAuthorization, string? Accept, string? Prefer,
    string? CorrelationId = null, string[]? Headers = null, string? Body = null);
