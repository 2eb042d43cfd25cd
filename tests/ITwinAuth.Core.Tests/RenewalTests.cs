using System.Security;
using ITwinAuth;
using ITwinAuth.Core;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>A renewal reads the whole app again, once: client id, secret and settings.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class RenewalTests
{
    /// <summary>Each test's own engine: nothing shared with another test.</summary>
    private ClientContext Context { get; set; } = new();

    private readonly EmulatorFixture emulator;

    public RenewalTests(EmulatorFixture emulator) => this.emulator = emulator;

    /// <summary>A source whose stored app can be changed between reads, counting the reads.</summary>
    private sealed class ChangingSource : CredentialSource
    {
        public string ClientId { get; set; } = "";
        public string Secret { get; set; } = "";
        public string? Scope { get; set; }
        public int Reads { get; private set; }

        public override CredentialSourceKind Kind => CredentialSourceKind.Vault;
        public override string Description => "test source";

        public override Task<SourceReading> ReadAsync(IPipelineDispatcher dispatcher, AppSettings parameters, CancellationToken cancellationToken)
        {
            Reads++;
            var stored = new AppSettings { ClientId = ClientId, Scopes = AppSettings.CleanScopes(Scope) };
            return Task.FromResult(new SourceReading(SecretText.ToSecureString(Secret), new[] { new SettingsLayer(SettingOrigin.Secret, stored) }, $"test source read {Reads}"));
        }
    }

    [Fact]
    public async Task Sign_in_reads_once_and_a_renewal_reads_the_new_app_once()
    {
        var first = emulator.Register();
        var second = emulator.Register(scopes: new[] { "itwin-platform", "users:read" });
        var source = new ChangingSource { ClientId = first.ClientId, Secret = first.ClientSecret };
        var parameters = new AppSettings { Authority = emulator.Host.Authority.ToString(), ApiBaseUri = emulator.Host.ApiBaseUri.ToString() };

        var reading = await AppReading.ReadAsync(source, parameters, null, InlineDispatcher.Instance, default);
        var connection = new ServiceConnection(source, parameters, null, null, reading);
        var token = await ConnectionTokenSource.AcquireAsync(Context, connection, reading.Credential, InlineDispatcher.Instance, false, NullLogSink.Instance, default);
        Assert.Equal(first.ClientId, token.ClientId);
        Assert.Equal(1, source.Reads);

        (source.ClientId, source.Secret, source.Scope) = (second.ClientId, second.ClientSecret, "itwin-platform users:read");
        var renewed = await ConnectionTokenSource.AcquireAsync(Context, connection, InlineDispatcher.Instance, true, NullLogSink.Instance, default);

        Assert.Equal(2, source.Reads);
        Assert.Equal(second.ClientId, renewed.ClientId);
        Assert.Equal(second.ClientId, connection.Settings.ClientId);
        Assert.Equal(new[] { "itwin-platform", "users:read" }, connection.Settings.Scopes);
        Assert.Equal("test source read 2", connection.Location);
    }
}
