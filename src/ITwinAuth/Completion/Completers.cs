using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using ITwinAuth.Secrets;

namespace ITwinAuth.Completion;

/// <summary>Completes from a fixed list, matching what was typed as a prefix.</summary>
public abstract class ListCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<string> Values(IDictionary fakeBoundParameters);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return Values(fakeBoundParameters)
            .Where(v => v.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(Quote(v), v, CompletionResultType.ParameterValue, v));
    }

    private static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`' or '(' or ')' or '{' or '}' or ';' or ',' or '&' or '#' or '@')
            ? "'" + value.Replace("'", "''") + "'"
            : value;
}

/// <summary>The iTwin Platform's scopes: today's single scope, then the older per-API ones.</summary>
public sealed class ScopeCompleter : ListCompleter
{
    public static readonly string[] KnownScopes =
    {
        "itwin-platform", "users:read", "itwins:read", "itwins:modify", "imodels:read", "imodels:modify",
        "projects:read", "projects:modify", "realitydata:read", "realitydata:modify", "webhooks:read", "webhooks:modify",
    };

    protected override IEnumerable<string> Values(IDictionary fakeBoundParameters) => KnownScopes;
}

public sealed class ApiVersionCompleter : ListCompleter
{
    protected override IEnumerable<string> Values(IDictionary fakeBoundParameters) => new[] { "v1", "v2" };
}

/// <summary>The roots of the iTwin APIs, for -Path.</summary>
public sealed class PathCompleter : ListCompleter
{
    public static readonly string[] ApiRoots =
    {
        "/users/me", "/users", "/itwins", "/itwins/favorites", "/itwins/recents", "/imodels", "/accesscontrol",
        "/reality-management", "/webhooks", "/storage", "/synchronization", "/library", "/issues", "/forms",
    };

    protected override IEnumerable<string> Values(IDictionary fakeBoundParameters) => ApiRoots;
}

/// <summary>Registered SecretManagement vaults, from its registry (no vault is called, so nothing
/// can prompt); nothing when SecretManagement is not installed.</summary>
public sealed class VaultNameCompleter : ListCompleter
{
    protected override IEnumerable<string> Values(IDictionary fakeBoundParameters) => SecretManagementClient.VaultNames();
}

/// <summary>The secrets this session has signed in with (of the chosen vault, or of all). A vault is
/// never asked: a locked SecretStore would prompt for its password at the Tab press.</summary>
public sealed class SecretNameCompleter : ListCompleter
{
    protected override IEnumerable<string> Values(IDictionary fakeBoundParameters) =>
        RecentSecrets.Names(fakeBoundParameters["Vault"] as string);
}
