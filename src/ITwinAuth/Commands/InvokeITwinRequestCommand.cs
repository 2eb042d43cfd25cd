using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Completion;
using ITwinAuth.Core;
using ITwinAuth.Json;

namespace ITwinAuth.Commands;

/// <summary>
/// Calls any iTwin Platform API with the current connection's token: version and Prefer headers,
/// JSON in and out, paging with -All (streamed, page by page), retries, and error records built from
/// the iTwin error body. The token goes only to the connection's API host.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "ITwinRequest", DefaultParameterSetName = PathSet, SupportsShouldProcess = true,
    ConfirmImpact = ConfirmImpact.Medium, SupportsPaging = true)]
[OutputType(typeof(PSObject), typeof(Hashtable), typeof(string))]
public sealed class InvokeITwinRequestCommand : ITwinRequestCmdlet
{
    public const string PathSet = "Path";
    public const string UriSet = "Uri";
    private const int ProgressId = 0x17A1;

    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(PathCompleter))]
    public string? Path { get; set; }

    [Parameter(ParameterSetName = UriSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public Uri? Uri { get; set; }

    [Parameter]
    public ITwinHttpMethod Method { get; set; } = ITwinHttpMethod.Get;

    [Parameter]
    public IDictionary? Query { get; set; }

    [Parameter]
    public IDictionary? Headers { get; set; }

    [Parameter]
    public object? Body { get; set; }

    [Parameter]
    public string? ContentType { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ApiVersionCompleter))]
    public string ApiVersion { get; set; } = ApiClient.DefaultApiVersion;

    [Parameter]
    public ITwinPrefer? Prefer { get; set; }

    [Parameter]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter AsHashtable { get; set; }

    [Parameter]
    public SwitchParameter Raw { get; set; }

    [Parameter]
    public string? OutFile { get; set; }

    [Parameter]
    public string? StatusCodeVariable { get; set; }

    [Parameter]
    public string? ResponseHeadersVariable { get; set; }

    [Parameter]
    public SwitchParameter SkipHttpErrorCheck { get; set; }

    [Parameter]
    [ValidateRange(0, 20)]
    public int MaximumRetryCount { get; set; } = RetryPolicy.DefaultMaximumRetryCount;

    /// <summary>Bounds one attempt. The upper bound is what a .NET Framework timer accepts (about 24 days).</summary>
    [Parameter]
    [ValidateRange(1, MaximumSeconds)]
    public int TimeoutSec { get; set; } = 100;

    /// <summary>Bounds the whole call: every attempt, every wait for a retry and every body read.</summary>
    [Parameter]
    [ValidateRange(1, MaximumSeconds)]
    public int TotalTimeoutSec { get; set; } = (int)HttpCall.DefaultDeadline.TotalSeconds;

    /// <summary>The most a buffered response body may hold, after decompression (-OutFile has no limit).</summary>
    [Parameter]
    [ValidateRange(1L, (long)int.MaxValue)]
    public long MaximumResponseSize { get; set; } = HttpCall.DefaultApiBodyLimit;

    private const int MaximumSeconds = int.MaxValue / 1000;

    private ITokenSource? _tokens;
    private IDictionary<string, string>? _headers;
    private string? _outFile;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (Headers is not null)
            _headers = HeaderPolicy.Check(Headers.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(
                e.Key?.ToString() ?? string.Empty, PowerShellValues.Unwrap(e.Value)?.ToString() ?? string.Empty)));
        if (ContentType is not null) ApiClient.ParseContentType(ContentType);
        if (OutFile is not null) _outFile = ResolveOutFile(OutFile);
        if (Raw && AsHashtable)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument, "Give -Raw or -AsHashtable, not both.", "Raw");
        if (OutFile is not null && (All || Raw))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument, "-OutFile cannot be combined with -All or -Raw.", "OutFile");
        ApiClient.AcceptFor(ApiVersion);
        _tokens = ResolveTokens();
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        Uri target;
        try
        {
            target = ApiClient.Resolve(_tokens!.ApiBaseUri, Path, Uri, QueryPairs());
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
            return;
        }

        var method = new HttpMethod(Method.ToString().ToUpperInvariant());
        if (Method != ITwinHttpMethod.Get && Method != ITwinHttpMethod.Head &&
            !await InvokeAsync(() => ShouldProcess($"{method.Method} {target}", method.Method), cancellationToken).ConfigureAwait(false))
            return;

        try
        {
            var content = Body is null ? null : await InvokeAsync(() => BodyContent(Body), cancellationToken).ConfigureAwait(false);
            if (All || PagingParameters.First != ulong.MaxValue || PagingParameters.Skip != 0)
                await PageAsync(method, target, content, cancellationToken).ConfigureAwait(false);
            else
                await SendOnceAsync(method, target, content, cancellationToken).ConfigureAwait(false);
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
        }
    }

    /// <summary>-Query with PowerShell's wrappers taken off, lists included; the core formats the values.</summary>
    private IEnumerable<KeyValuePair<string, object?>>? QueryPairs() =>
        Query?.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, object?>(
            e.Key?.ToString() ?? string.Empty, PowerShellValues.UnwrapList(e.Value)));

    private string ResolveOutFile(string outFile)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(outFile)) throw new ArgumentException("the path is empty");
            return SessionState.Path.GetUnresolvedProviderPathFromPSPath(outFile);
        }
        catch (Exception ex) when (ex is ArgumentException or System.Management.Automation.ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or
                                       System.Management.Automation.ItemNotFoundException or NotSupportedException or PSInvalidOperationException)
        {
            throw new ITwinAuthException(ITwinErrorIds.OutFileFailed, ITwinErrorCategory.WriteError,
                $"-OutFile '{outFile}' is not a file path: {ex.Message.TrimEnd('.')}. Give a file path in an existing folder.", "OutFile", ex);
        }
    }

    /// <summary>Runs on the pipeline thread: PSObject properties may be script properties.</summary>
    private Func<HttpContent?> BodyContent(object body)
    {
        var value = PowerShellValues.Unwrap(body);
        if (value is byte[] bytes)
            return () => new ByteArrayContent(bytes) { Headers = { ContentType = ApiClient.ParseContentType(ContentType ?? "application/octet-stream") } };
        var json = value as string ?? PowerShellToJson.Serialize(value);
        Log.Debug($"Request body: {json.Length} characters of {ContentType ?? "application/json"}.");
        return () => ApiClient.JsonContent(json, ContentType);
    }

    private HttpCall NewCall(HttpMethod method, Uri target, Func<HttpContent?>? content)
    {
        var call = ApiClient.NewCall(method, target, _tokens!, ApiVersion, Prefer?.ToString());
        call.Retry = new RetryPolicy { MaximumRetryCount = MaximumRetryCount };
        call.AttemptTimeout = TimeSpan.FromSeconds(TimeoutSec);
        call.Deadline = TimeSpan.FromSeconds(TotalTimeoutSec);
        call.MaximumBodyBytes = MaximumResponseSize;
        call.Content = content;
        if (_headers is not null)
            foreach (var header in _headers) call.CallerHeaders[header.Key] = header.Value;
        return call;
    }

    private async Task SendOnceAsync(HttpMethod method, Uri target, Func<HttpContent?>? content, CancellationToken cancellationToken)
    {
        var call = NewCall(method, target, content);
        var outFile = _outFile;
        call.OutFile = outFile;

        var result = await ApiClient.SendAsync(call, SkipHttpErrorCheck, Log, cancellationToken).ConfigureAwait(false);
        await ExposeAsync(result, cancellationToken).ConfigureAwait(false);
        if (outFile is not null && result.IsSuccess)
        {
            Log.Verbose($"Response body written to {outFile}.");
            return;
        }
        if (result.Body.Length == 0 || method == HttpMethod.Head) return;

        if (Raw || !LooksLikeJson(result))
        {
            WriteObjectAsync(Encoding.UTF8.GetString(result.Body));
            return;
        }
        using var page = Page.ReadBody(result);
        // Posted, not awaited: nothing follows, so the pipeline need not confirm it.
        WriteObjectAsync(page.ConvertBody(Factory), page.BodyIsArray);
    }

    /// <summary>
    /// Follows _links.next to the end, writing each page's items as it arrives. The next page is
    /// requested only after the pipeline has taken this page's items, so Select-Object -First stops
    /// the paging and memory holds one page at a time.
    /// </summary>
    private async Task PageAsync(HttpMethod method, Uri target, Func<HttpContent?>? content, CancellationToken cancellationToken)
    {
        ulong skipped = 0, written = 0;
        var pages = 0;
        Uri? next = target;
        var activity = $"{method.Method} {target.GetLeftPart(UriPartial.Path)}";
        while (next is not null)
        {
            var result = await ApiClient.SendAsync(NewCall(method, next, content), SkipHttpErrorCheck, Log, cancellationToken).ConfigureAwait(false);
            await ExposeAsync(result, cancellationToken).ConfigureAwait(false);
            pages++;
            if (!result.IsSuccess || result.Body.Length == 0)
            {
                if (result.Body.Length > 0) WriteObjectAsync(Raw ? Encoding.UTF8.GetString(result.Body) : ConvertWhole(result));
                return;
            }

            using var page = Page.Read(result, _tokens!.ApiBaseUri);
            if (!page.IsCollection)
            {
                WriteObjectAsync(page.ConvertBody(Factory));
                return;
            }

            // -Skip counts items across pages: skip what is left of it on this page.
            var skipHere = (int)Math.Min((ulong)page.ItemCount, PagingParameters.Skip - skipped);
            skipped += (ulong)skipHere;
            var batch = new List<object?>(page.ItemCount - skipHere);
            foreach (var item in Raw ? page.RawItems(skipHere) : page.ConvertItems(Factory, skipHere))
            {
                if (written >= PagingParameters.First) break;
                batch.Add(item);
                written++;
            }
            var status = $"Page {pages}: {written} item(s) of '{page.CollectionName}' so far";
            await InvokeAsync(() =>
            {
                foreach (var item in batch) WriteObject(item);
                WriteProgress(new ProgressRecord(ProgressId, activity, status));
            }, cancellationToken).ConfigureAwait(false);

            if (written >= PagingParameters.First) break;
            next = page.Next;
            if (next is not null) Log.Verbose($"{status}; following the next link.");
        }

        await InvokeAsync(() =>
        {
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            if (PagingParameters.IncludeTotalCount)
                WriteObject(PagingParameters.NewTotalCount(skipped + written, next is null ? 1.0 : 0.0));
        }, cancellationToken).ConfigureAwait(false);
        Log.Verbose($"Paging done: {pages} page(s), {written} item(s) written.");
    }

    private object? ConvertWhole(HttpResult result)
    {
        if (!LooksLikeJson(result)) return Encoding.UTF8.GetString(result.Body);
        using var page = Page.ReadBody(result);
        return page.ConvertBody(Factory);
    }

    private JsonValueFactory Factory => AsHashtable ? HashtableFactory.Instance : PSObjectFactory.Instance;

    private static bool LooksLikeJson(HttpResult result) =>
        result.ContentType is null || result.ContentType.IndexOf("json", StringComparison.OrdinalIgnoreCase) >= 0;

    private Task ExposeAsync(HttpResult result, CancellationToken cancellationToken)
    {
        if (StatusCodeVariable is null && ResponseHeadersVariable is null) return Task.CompletedTask;
        return InvokeAsync(() =>
        {
            if (StatusCodeVariable is not null) SessionState.PSVariable.Set(StatusCodeVariable, (int)result.StatusCode);
            if (ResponseHeadersVariable is not null)
            {
                var headers = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var header in result.Headers) headers[header.Key] = header.Value;
                SessionState.PSVariable.Set(ResponseHeadersVariable, headers);
            }
        }, cancellationToken);
    }
}
