namespace ITwinAuth;

/// <summary>Every ErrorId the module raises of its own. API failures use the iTwin error code instead.</summary>
public static class ITwinErrorIds
{
    // Credentials and input
    public const string ClientIdMissing = "ClientIdMissing";
    public const string ClientSecretMissing = "ClientSecretMissing";
    public const string NoCredentials = "NoCredentials";
    public const string ScopeNotAllowed = "ScopeNotAllowed";
    public const string InvalidUri = "InvalidUri";
    public const string InsecureUri = "InsecureUri";
    public const string InvalidParameter = "InvalidParameter";
    public const string NoConnection = "NoConnection";

    // SecretManagement
    public const string SecretManagementNotInstalled = "SecretManagementNotInstalled";
    public const string VaultNotFound = "VaultNotFound";
    public const string SecretNotFound = "SecretNotFound";
    public const string VaultLocked = "VaultLocked";
    public const string SecretTypeNotSupported = "SecretTypeNotSupported";
    public const string SecretReadFailed = "SecretReadFailed";

    /// <summary>A vault read that outlived its deadline (30 s), stopped or waited out (OperationTimeout).</summary>
    public const string VaultTimedOut = "VaultTimedOut";

    /// <summary>A value of the right type that cannot be what it claims to be: a client secret longer than a
    /// SecureString can hold, a setting with control characters or of an impossible length (InvalidData).</summary>
    public const string SecretValueInvalid = "SecretValueInvalid";

    // Token endpoint and discovery
    public const string InvalidClient = "InvalidClient";
    public const string InvalidScope = "InvalidScope";
    public const string InvalidGrant = "InvalidGrant";
    public const string UnsupportedGrantType = "UnsupportedGrantType";
    public const string InvalidTokenRequest = "InvalidTokenRequest";
    public const string TokenRequestFailed = "TokenRequestFailed";
    public const string TokenResponseInvalid = "TokenResponseInvalid";
    public const string DiscoveryFailed = "DiscoveryFailed";
    public const string DiscoveryDocumentInvalid = "DiscoveryDocumentInvalid";
    public const string AuthorityUnreachable = "AuthorityUnreachable";

    // API requests
    public const string ApiUnreachable = "ApiUnreachable";
    public const string RequestTimedOut = "RequestTimedOut";
    public const string ResponseNotJson = "ResponseNotJson";
    public const string ForeignHostRefused = "ForeignHostRefused";
    public const string TooManyRedirects = "TooManyRedirects";
    public const string BodySerializationFailed = "BodySerializationFailed";
    public const string HttpError = "HttpError";
    public const string RedirectRefused = "RedirectRefused";
    public const string ResponseTooLarge = "ResponseTooLarge";
    public const string ResponseDecodingFailed = "ResponseDecodingFailed";
    public const string ResponseNotConvertible = "ResponseNotConvertible";
    public const string ResponseTooComplex = "ResponseTooComplex";
    public const string InvalidHeaderValue = "InvalidHeaderValue";
    public const string HeaderNotAllowed = "HeaderNotAllowed";
    public const string InvalidQuery = "InvalidQuery";
    public const string InvalidPath = "InvalidPath";
    public const string OutFileFailed = "OutFileFailed";

    /// <summary>An answer that breaks HTTP itself (a protocol violation, headers over the handler's limits): not retried.</summary>
    public const string ResponseInvalid = "ResponseInvalid";

    // Paging
    public const string NextLinkInvalid = "NextLinkInvalid";
    public const string PagingCycle = "PagingCycle";
    public const string PagingStalled = "PagingStalled";

    // Proxies
    public const string ProxyAuthenticationRequired = "ProxyAuthenticationRequired";
    public const string ProxyFailed = "ProxyFailed";

    // Rate limits (a 429 that says no code of its own)
    public const string RateLimitExceeded = "RateLimitExceeded";
    public const string RateLimited = "RateLimited";
}
