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
