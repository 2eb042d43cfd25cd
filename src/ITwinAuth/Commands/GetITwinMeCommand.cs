using System.Management.Automation;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Commands;

/// <summary>GET /users/me: the identity behind the token, which proves the sign-in works.</summary>
[Cmdlet(VerbsCommon.Get, "ITwinMe")]
[OutputType(typeof(ITwinUser))]
public sealed class GetITwinMeCommand : ITwinRequestCmdlet
{
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var tokens = ResolveTokens();
        var call = ApiClient.NewCall(HttpMethod.Get, ApiClient.Resolve(tokens.ApiBaseUri, "users/me", null, null), tokens, null, null);
        try
        {
            var result = await ApiClient.SendAsync(call, allowErrorStatus: false, Log, cancellationToken).ConfigureAwait(false);
            WriteObjectAsync(ApiClient.ParseUser(result));
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
        }
    }
}
