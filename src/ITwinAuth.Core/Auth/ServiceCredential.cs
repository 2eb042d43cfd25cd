using System;
using System.Security;

namespace ITwinAuth.Core;

/// <summary>A client id and its secret, resolved from some <see cref="CredentialSource"/> for one use.</summary>
public sealed class ServiceCredential
{
    public ServiceCredential(string clientId, SecureString secret)
    {
        if (string.IsNullOrWhiteSpace(clientId))
            throw new ITwinAuthException(ITwinErrorIds.ClientIdMissing, ITwinErrorCategory.InvalidArgument,
                "The client id is empty. Give the service application's client id (it looks like 'service-xxxxxxxx').");
        if (secret is null || secret.Length == 0 || SecretText.IsWhiteSpace(secret))
            throw new ITwinAuthException(ITwinErrorIds.ClientSecretMissing, ITwinErrorCategory.InvalidArgument,
                $"The client secret for '{clientId.Trim()}' is empty. Give the secret shown when the app was registered.");
        ClientId = clientId.Trim();
        Secret = secret;
    }

    public string ClientId { get; }
    public SecureString Secret { get; }
}

public enum CredentialSourceKind
{
    Direct,
    Credential,
    Environment,
    Vault,
}

/// <summary>Where a connection gets its secret from. Resolved again whenever a new token is needed.</summary>
public abstract class CredentialSource
{
    public abstract CredentialSourceKind Kind { get; }

    /// <summary>Where the secret is, for Get-ITwinConnection and -Verbose; never the secret itself.</summary>
    public abstract string Description { get; }

    /// <param name="dispatcher">Runs work on the PowerShell pipeline thread (SecretManagement needs it).</param>
    public abstract System.Threading.Tasks.Task<ServiceCredential> ResolveAsync(IPipelineDispatcher dispatcher,
        System.Threading.CancellationToken cancellationToken);
}

/// <summary>A client id and secret given directly (-ClientSecret or -Credential): kept as a SecureString.</summary>
public sealed class StaticCredentialSource : CredentialSource
{
    private readonly ServiceCredential _credential;

    public StaticCredentialSource(ServiceCredential credential, CredentialSourceKind kind)
    {
        var copy = credential.Secret.Copy();
        copy.MakeReadOnly();
        _credential = new ServiceCredential(credential.ClientId, copy);
        Kind = kind;
    }

    public override CredentialSourceKind Kind { get; }

    public override string Description => Kind == CredentialSourceKind.Credential
        ? "PSCredential (SecureString in memory)"
        : "ClientSecret (SecureString in memory)";

    public override System.Threading.Tasks.Task<ServiceCredential> ResolveAsync(IPipelineDispatcher dispatcher,
        System.Threading.CancellationToken cancellationToken) =>
        System.Threading.Tasks.Task.FromResult(_credential);
}

/// <summary>Runs a function on the thread that owns the PowerShell pipeline.</summary>
public interface IPipelineDispatcher
{
    System.Threading.Tasks.Task<T> InvokeAsync<T>(Func<T> function, System.Threading.CancellationToken cancellationToken);
}

/// <summary>Where the core tells its story (-Verbose, -Debug). Messages never carry secrets or tokens.</summary>
public interface ILogSink
{
    void Verbose(string message);
    void Debug(string message);
}

public sealed class NullLogSink : ILogSink
{
    public static readonly NullLogSink Instance = new();
    public void Verbose(string message) { }
    public void Debug(string message) { }
}
