using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// Where a connection gets its app from: the secret and the settings stored with it. Read once at
/// sign-in and once at every renewal, always the whole app (client id, secret and settings).
/// </summary>
public abstract class CredentialSource
{
    public abstract CredentialSourceKind Kind { get; }

    /// <summary>Where the secret will be looked for, before a read has said where it was found;
    /// never the secret itself.</summary>
    public abstract string Description { get; }

    /// <summary>Reads the source once.</summary>
    /// <param name="dispatcher">Runs work on the PowerShell pipeline thread (SecretManagement needs it).</param>
    /// <param name="parameters">The explicit settings: a source skips a read (a vault's metadata) that
    /// could not change the result.</param>
    public abstract Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters,
        CancellationToken cancellationToken);

    /// <summary>The error when neither the parameters nor the source give a client id.</summary>
    public virtual ITwinAuthException MissingClientId() => ServiceCredential.MissingClientId();
}
