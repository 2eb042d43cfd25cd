using System.Management.Automation;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Completion;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>GET /users/me: the identity behind the token, which proves the sign-in works.</summary>
[Cmdlet(VerbsCommon.Get, "ITwinMe", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Get-ITwinMe.md", DefaultParameterSetName = CurrentSet)]
[OutputType(typeof(ITwinUser))]
public sealed class GetITwinMeCommand : ITwinRequestCmdlet
{
    [Parameter(ParameterSetName = ConnectionSet, Mandatory = true)]
    public override ITwinConnection? Connection { get; set; }

    [Parameter(ParameterSetName = TokenSet, Mandatory = true)]
    public override ITwinAccessToken? Token { get; set; }

    [Parameter(ParameterSetName = TokenSet)]
    [ArgumentCompleter(typeof(ApiBaseUriCompleter))]
    public override string? ApiBaseUri { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var tokens = ResolveTokens();
        var call = ApiClient.NewCall(HttpMethod.Get, ApiClient.Resolve(tokens.ApiBaseUri, "users/me", null, null), tokens, null, null);
        try
        {
            var result = await ApiClient.SendAsync(ITwinSession.Context, call, allowErrorStatus: false, Log, cancellationToken).ConfigureAwait(false);
            WriteObjectAsync(ITwinUser.From(result));
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
        }
    }
}
