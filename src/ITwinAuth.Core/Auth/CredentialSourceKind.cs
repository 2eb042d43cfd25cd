namespace ITwinAuth.Core;

public enum CredentialSourceKind
{
    Direct,
    Credential,
    Environment,
    Vault,
}
