using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using ITwinAuth.Api;
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

    internal static string Quote(string value) =>
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

/// <summary>
/// -Path: the roots of the iTwin APIs, then every path of <see cref="ApiCatalogue"/> (collections and
/// their {id} templates). What was typed is matched segment by segment, an {id} taking any segment:
/// "/imodels/3f2c.../" completes to "/imodels/3f2c.../changesets" with the id kept.
/// </summary>
public sealed class PathCompleter : IArgumentCompleter
{
    public static readonly IReadOnlyList<string> ApiRoots = Array.AsReadOnly(new[]
    {
        "/users/me", "/users", "/itwins", "/itwins/favorites", "/itwins/recents", "/imodels", "/accesscontrol",
        "/reality-management", "/webhooks", "/storage", "/synchronization", "/library", "/issues", "/forms",
    });

    /// <summary>Everything -Path offers, each once: the roots first.</summary>
    public static IReadOnlyList<string> Paths { get; } =
        Array.AsReadOnly(ApiRoots.Concat(ApiCatalogue.Paths).Distinct(StringComparer.OrdinalIgnoreCase).ToArray());

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        if (typed.IndexOfAny(new[] { '?', '#' }) >= 0) yield break;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var template in Paths)
        {
            if (Complete(typed, template) is { } path && seen.Add(path))
                yield return new CompletionResult(ListCompleter.Quote(path), path, CompletionResultType.ParameterValue, template);
        }
    }

    /// <summary>The template with what was typed in place of its first segments, or null when they differ.
    /// The last typed segment may be the start of the template's; an {id} segment takes any id followed
    /// by a slash.</summary>
    internal static string? Complete(string typed, string template)
    {
        // Nothing typed yet: the paths as written, with their slash.
        var slash = typed.Length == 0 || typed.StartsWith("/", StringComparison.Ordinal);
        var given = (typed.StartsWith("/", StringComparison.Ordinal) ? typed.Substring(1) : typed).Split('/');
        var wanted = template.Substring(1).Split('/');
        if (given.Length > wanted.Length) return null;
        var result = new string[wanted.Length];
        for (var i = 0; i < wanted.Length; i++)
        {
            if (i >= given.Length) { result[i] = wanted[i]; continue; }
            var last = i == given.Length - 1;
            var isId = wanted[i].StartsWith("{", StringComparison.Ordinal);
            if (isId)
            {
                // An id being typed (no slash after it yet) is left alone; an empty one becomes {id}.
                if ((given[i].Length == 0) != last) return null;
                result[i] = last ? wanted[i] : given[i];
            }
            else if (last ? wanted[i].StartsWith(given[i], StringComparison.OrdinalIgnoreCase) : string.Equals(wanted[i], given[i], StringComparison.OrdinalIgnoreCase))
                result[i] = wanted[i];
            else
                return null;
        }
        return (slash ? "/" : string.Empty) + string.Join("/", result);
    }
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

/// <summary>
/// -Authority and -ApiBaseUri: the hosts of the platform's deployments (Production, QA, Dev), after
/// the current connection's, so that a host is picked, not typed. What was typed matches the start of
/// the URI or of its host ("qa" finds https://qa-ims.bentley.com).
/// </summary>
public abstract class HostCompleter : IArgumentCompleter
{
    protected abstract Uri? Current { get; }

    protected abstract Uri HostOf(ITwinEnvironment environment);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var hosts = new List<Uri>();
        if (Current is { } current) hosts.Add(current);
        foreach (ITwinEnvironment environment in Enum.GetValues(typeof(ITwinEnvironment))) hosts.Add(HostOf(environment));
        return hosts
            .Select(uri => uri.GetLeftPart(UriPartial.Path).TrimEnd('/'))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(text => text.StartsWith(typed, StringComparison.OrdinalIgnoreCase) ||
                           new Uri(text).Host.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(text => new CompletionResult(ListCompleter.Quote(text), text, CompletionResultType.ParameterValue, text));
    }
}

public sealed class AuthorityCompleter : HostCompleter
{
    protected override Uri? Current => ITwinSession.Current?.Settings.Authority;
    protected override Uri HostOf(ITwinEnvironment environment) => ITwinEndpoints.AuthorityFor(environment);
}

public sealed class ApiBaseUriCompleter : HostCompleter
{
    protected override Uri? Current => ITwinSession.Current?.ApiBaseUri;
    protected override Uri HostOf(ITwinEnvironment environment) => ITwinEndpoints.ApiBaseFor(environment);
}
