using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth.Secrets;

/// <summary>
/// A SecretManagement vault as the store of shared tokens (-ShareToken): one named vault, called on
/// the pipeline thread like the vault source, each call bounded by the budget it is given. The entry
/// is a SecureString; its metadata is written where the vault keeps metadata, and a vault that does
/// not gets the value alone.
/// </summary>
internal sealed class VaultTokenStore : ISharedTokenStore
{
    private readonly string _vault;
    private volatile bool _noMetadata;

    public VaultTokenStore(string vault) => _vault = vault;

    public string Description => $"the SecretManagement vault '{SecretManagementClient.Shown(_vault)}'";
    public string Id => _vault;

    public Task<StoredEntry?> ReadAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() => new SecretManagementClient(budget, cancellationToken).TryReadSecret(name, _vault) switch
        {
            null => null,
            SecureString text => StoredEntry.OfText(text),
            string { Length: > TokenClient.MaximumTokenLength } => StoredEntry.OfOther("text longer than any shared token"),
            string text => StoredEntry.OfText(SecretText.ToSecureString(text)),
            var other => StoredEntry.OfOther(Describe(other)),
        }, cancellationToken);

    public Task WriteAsync(string name, SecureString value, IReadOnlyDictionary<string, string> metadata, TimeSpan budget,
        IPipelineDispatcher dispatcher, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() =>
        {
            var metadataKept = new SecretManagementClient(budget, cancellationToken).WriteSecret(name, _vault, value, _noMetadata ? null : Table(metadata));
            if (!metadataKept) _noMetadata = true;
            return metadataKept;
        }, cancellationToken);

    public Task<bool> RemoveAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken) =>
        dispatcher.InvokeAsync(() => new SecretManagementClient(budget, cancellationToken).RemoveSecret(name, _vault), cancellationToken);

    private static Hashtable Table(IReadOnlyDictionary<string, string> metadata)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in metadata) table[pair.Key] = pair.Value;
        return table;
    }

    /// <summary>What a vault returned instead of text, for the verbose line (a type's name, never a value).</summary>
    private static string Describe(object value) => value switch
    {
        PSCredential => "a PSCredential",
        IDictionary => "a Hashtable",
        byte[] => "a byte array",
        _ => "a " + VaultText.Excerpt(value.GetType().Name, 80),
    };
}
