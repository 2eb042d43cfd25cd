using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>What one read of a connection's source resolves to: the settings in force and the credential.</summary>
public sealed record AppReading(ConnectionSettings Settings, ServiceCredential Credential, string Location, string? Vault = null)
{
    /// <summary>Reads the source once and resolves every setting: at sign-in and at every renewal alike.</summary>
    public static async Task<AppReading> ReadAsync(CredentialSource source, AppSettings parameters, ITwinEnvironment? environment,
        IPipelineDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var reading = await source.ReadAsync(dispatcher, parameters, cancellationToken).ConfigureAwait(false);
        var settings = SettingsResolver.Resolve(parameters, environment, reading.Layers, reading.Location, source.MissingClientId);
        return new AppReading(settings, new ServiceCredential(settings.ClientId, reading.Secret), reading.Location, reading.Vault);
    }
}
