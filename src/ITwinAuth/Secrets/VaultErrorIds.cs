namespace ITwinAuth.Secrets;

/// <summary>
/// The vault source's ErrorIds beyond those in <see cref="ITwinErrorIds"/> (where they belong; kept
/// here while the core is being rewritten). docs/SECRETS.md lists them with the others.
/// </summary>
internal static class VaultErrorIds
{
    /// <summary>A vault read that outlived <see cref="SecretManagementClient.ReadDeadline"/> (OperationTimeout).</summary>
    public const string VaultTimedOut = "VaultTimedOut";

    /// <summary>A value of the right type that cannot be what it claims to be: a client secret longer than a
    /// SecureString can hold, a setting with control characters or of an impossible length (InvalidData).</summary>
    public const string SecretValueInvalid = "SecretValueInvalid";
}
