using System.Security;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// A secret given directly (-ClientSecret or -Credential), kept as a read-only SecureString copy.
/// It reports only what it holds, tagged with where it came from: -Credential's user name is a
/// parameter; beside -ClientSecret the client id may come from the environment variables. Which one
/// wins is <see cref="SettingsResolver"/>'s to decide.
/// </summary>
public sealed class StaticCredentialSource : CredentialSource
{
    private readonly SecureString _secret;
    private readonly string? _clientId;

    public StaticCredentialSource(string? clientId, SecureString secret, CredentialSourceKind kind)
    {
        _secret = secret.Copy();
        _secret.MakeReadOnly();
        _clientId = AppSettings.Clean(clientId);
        Kind = kind;
    }

    public override CredentialSourceKind Kind { get; }

    public override string Description => Kind == CredentialSourceKind.Credential
        ? "PSCredential (SecureString in memory)"
        : "ClientSecret (SecureString in memory)";

    public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken)
    {
        var layers = new[]
        {
            new SettingsLayer(SettingOrigin.Parameter, new AppSettings { ClientId = _clientId }),
            new SettingsLayer(SettingOrigin.EnvironmentVariable, new AppSettings
            {
                ClientId = Kind == CredentialSourceKind.Direct ? EnvironmentVariableCredentialSource.FirstSet(EnvironmentVariableCredentialSource.ClientIdVariables)?.Value.Trim() : null,
            }),
        };
        return Task.FromResult(new SourceReading(_secret, layers, Description));
    }
}
