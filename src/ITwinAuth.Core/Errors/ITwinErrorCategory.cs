namespace ITwinAuth;

/// <summary>
/// How a failure should be classed. The names match PowerShell's ErrorCategory members one for one,
/// so the cmdlet layer maps them by name without the core knowing PowerShell.
/// </summary>
public enum ITwinErrorCategory
{
    NotSpecified,
    AuthenticationError,
    PermissionDenied,
    ObjectNotFound,
    InvalidArgument,
    InvalidData,
    InvalidResult,
    InvalidOperation,
    LimitsExceeded,
    ConnectionError,
    OperationTimeout,
    ResourceUnavailable,
    ResourceExists,
    SecurityError,
    NotInstalled,
    ReadError,
    InvalidType,
    WriteError,
}
