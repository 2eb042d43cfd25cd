using System;
using System.Collections.Generic;
using System.Security;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// A place outside the process where a connection's token is shared with other processes and
/// machines (the module's: a SecretManagement vault). The store keeps text it is given under a
/// name; what the text means, and whether it can be trusted, is <see cref="SharedTokenEntry"/>'s
/// to decide. A store's failure is an <see cref="ITwinAuthException"/>; it never ends a sign-in
/// (<see cref="SharedTokenCache"/> turns it into one warning).
/// </summary>
public interface ISharedTokenStore
{
    /// <summary>What messages call the store, e.g. "the SecretManagement vault 'ci'".</summary>
    string Description { get; }

    /// <summary>Tells stores apart (a vault's name, case-insensitively): one warning per store.</summary>
    string Id { get; }

    /// <summary>The entry stored under <paramref name="name"/>, or null when there is none.</summary>
    /// <param name="budget">How long the read may take.</param>
    /// <param name="dispatcher">Runs the store's calls where they must run (SecretManagement: the pipeline thread).</param>
    Task<StoredEntry?> ReadAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> under <paramref name="name"/>, replacing what was there, with
    /// <paramref name="metadata"/> (non-secret, for people who list the store) where the store keeps metadata.</summary>
    Task WriteAsync(string name, SecureString value, IReadOnlyDictionary<string, string> metadata, TimeSpan budget,
        IPipelineDispatcher dispatcher, CancellationToken cancellationToken);

    /// <summary>Removes the entry; false when there was none.</summary>
    Task<bool> RemoveAsync(string name, TimeSpan budget, IPipelineDispatcher dispatcher, CancellationToken cancellationToken);
}

/// <summary>What a store holds under a name: text (a SecureString), or something else, described.</summary>
public sealed class StoredEntry
{
    private StoredEntry(SecureString? text, string? other)
    {
        Text = text;
        Other = other;
    }

    public static StoredEntry OfText(SecureString text) => new(text, null);

    /// <summary>An entry that is not text, e.g. "a PSCredential": it is replaced, never read.</summary>
    public static StoredEntry OfOther(string description) => new(null, description);

    public SecureString? Text { get; }
    public string? Other { get; }
}
