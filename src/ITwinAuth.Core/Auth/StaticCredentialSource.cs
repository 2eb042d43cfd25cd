using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

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

    public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken) =>
        Task.FromResult(new SourceReading(_credential.Secret,
            new[] { new SettingsLayer(SettingOrigin.Parameter, new AppSettings { ClientId = _credential.ClientId }) },
            Description));
}
