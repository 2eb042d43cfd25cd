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
using ITwinAuth.Api;
using ITwinAuth.Completion;
using ITwinAuth.Core;
using ITwinAuth.Json;
using ITwinAuth.Output;

namespace ITwinAuth.Commands;

/// <summary>
/// Calls any iTwin Platform API with the current connection's token: version and Prefer headers,
/// JSON in and out, paging with -All (streamed, page by page), retries, and error records built from
/// the iTwin error body. The token goes only to the API host it is for (the connection's, or a -Token's own).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "ITwinRequest", HelpUri = "https://github.com/itwinauth/ITwinAuth/blob/main/docs/Invoke-ITwinRequest.md", DefaultParameterSetName = CurrentSet, SupportsShouldProcess = true,
    ConfirmImpact = ConfirmImpact.Medium, SupportsPaging = true)]
[OutputType(typeof(PSObject), typeof(Hashtable), typeof(string))]
public sealed class InvokeITwinRequestCommand : ITwinRequestCmdlet
{
    private const int ProgressId = 0x17A1;

    /// <summary>A path under the connection's API ('/itwins') or an absolute URI on the API host.</summary>
    [Parameter(ParameterSetName = CurrentSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = ConnectionSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = TokenSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Path")]
    [ArgumentCompleter(typeof(PathCompleter))]
    public string? Uri { get; set; }

    [Parameter(ParameterSetName = ConnectionSet, Mandatory = true)]
    public override ITwinConnection? Connection { get; set; }

    [Parameter(ParameterSetName = TokenSet, Mandatory = true)]
    public override ITwinAccessToken? Token { get; set; }

    [Parameter(ParameterSetName = TokenSet)]
    [ArgumentCompleter(typeof(ApiBaseUriCompleter))]
    public override string? ApiBaseUri { get; set; }

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

    /// <summary>Writes the one value a response wraps ({"user": {...}} gives the user) instead of the envelope.</summary>
    [Parameter]
    public SwitchParameter Unwrap { get; set; }

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
    public int MaximumRetryCount { get; set; } = RetryOptions.DefaultMaximumRetryCount;

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

    /// <summary>How many requests may be under way at once for pipeline input; results stay in input order.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 1;

    private ITokenSource? _tokens;
    private OrderedFanOut? _fanOut;
    private IDictionary<string, string>? _headers;
    private string? _outFile;
    private long _bodyLimit;
    private int _valueLimit = ConversionBudget.MaximumValues;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (Headers is not null)
            _headers = HeaderPolicy.Check(Headers.Cast<DictionaryEntry>().Select(e => new KeyValuePair<string, string>(
                e.Key?.ToString() ?? string.Empty, QueryString.HeaderText(e.Key?.ToString() ?? string.Empty, PowerShellValues.Unwrap(e.Value)))));
        if (ContentType is not null) ApiClient.ParseContentType(ContentType);
        if (OutFile is not null) _outFile = ResolveOutFile(OutFile);
        if (Raw && AsHashtable)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument, "Give -Raw or -AsHashtable, not both.", "Raw");
        // Combinations that cannot do what they say are refused before anything is sent.
        if (ContentType is not null && Body is null)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-ContentType is the media type of -Body, and there is no -Body: give -Body too, or leave out -ContentType.", "ContentType");
        if (OutFile is not null && (Paged || Raw || AsHashtable || Unwrap))
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "-OutFile saves the response body as it comes; it cannot be combined with -All, -First, -Skip, -IncludeTotalCount, -Raw, -AsHashtable or -Unwrap.", "OutFile");
        if (Unwrap && Paged)
            throw new ITwinAuthException(ITwinErrorIds.InvalidParameter, ITwinErrorCategory.InvalidArgument,
                "With -All, -First, -Skip or -IncludeTotalCount the items are already written one by one, out of their envelope: leave out -Unwrap.", "Unwrap");
        ApiClient.AcceptFor(ApiVersion);
        // A fan-out shares one default budget; a limit the caller gives is the caller's.
        _bodyLimit = MyInvocation.BoundParameters.ContainsKey(nameof(MaximumResponseSize)) ? MaximumResponseSize : HttpCall.DefaultApiBodyLimitFor(ThrottleLimit);
        // Its results are held at once too: the JSON values they may become are shared the same way.
        _valueLimit = ConversionBudget.MaximumFor(ThrottleLimit);
        _tokens = ResolveTokens();
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        Uri target;
        try
        {
            target = ApiClient.Resolve(_tokens!.ApiBaseUri, Uri, null, QueryPairs());
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
            return;
        }

        var method = new HttpMethod(Method.ToString().ToUpperInvariant());
        if (Method != ITwinHttpMethod.Get && Method != ITwinHttpMethod.Head &&
            !await InvokeAsync(() => ShouldProcess(target.ToString(), method.Method), cancellationToken).ConfigureAwait(false))
            return;

        Func<HttpContent?>? content;
        try
        {
            content = Body is null ? null : await InvokeAsync(() => BodyContent(Body), cancellationToken).ConfigureAwait(false);
        }
        catch (ITwinAuthException ex)
        {
            WriteErrorAsync(ErrorRecords.From(ex));
            return;
        }

        var paged = Paged;
        async Task Work(IRequestOutput output, CancellationToken token)
        {
            try
            {
                if (paged) await PageAsync(method, target, content, output, token).ConfigureAwait(false);
                else await SendOnceAsync(method, target, content, output, token).ConfigureAwait(false);
            }
            catch (ITwinAuthException ex)
            {
                var record = ErrorRecords.From(ex);
                output.Post(() => WriteError(record));
            }
        }

        if (ThrottleLimit <= 1)
        {
            await Work(new DirectOutput(Post, Log), cancellationToken).ConfigureAwait(false);
            return;
        }
        _fanOut ??= new OrderedFanOut(ThrottleLimit, Post, LogThrough);
        await _fanOut.AddAsync(Work, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>-All, or any of the paging parameters: the items are written one by one.</summary>
    private bool Paged => All || PagingParameters.First != ulong.MaxValue || PagingParameters.Skip != 0 || PagingParameters.IncludeTotalCount;

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) =>
        _fanOut?.DrainAsync() ?? Task.CompletedTask;

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
        call.Retry = new RetryOptions { MaximumRetryCount = MaximumRetryCount };
        call.AttemptTimeout = TimeSpan.FromSeconds(TimeoutSec);
        call.Deadline = TimeSpan.FromSeconds(TotalTimeoutSec);
        call.MaximumBodyBytes = _bodyLimit;
        call.MaximumValues = _valueLimit;
        call.Content = content;
        if (_headers is not null)
            foreach (var header in _headers) call.CallerHeaders[header.Key] = header.Value;
        return call;
    }

    private async Task SendOnceAsync(HttpMethod method, Uri target, Func<HttpContent?>? content, IRequestOutput output, CancellationToken cancellationToken)
    {
        var call = NewCall(method, target, content);
        var outFile = _outFile;
        call.OutFile = outFile;

        var result = await ApiClient.SendAsync(ITwinSession.Context, call, SkipHttpErrorCheck, output.Log, cancellationToken).ConfigureAwait(false);
        Expose(result, output);
        if (outFile is not null && result.IsSuccess)
        {
            output.Log.Verbose($"Response body written to {outFile}.");
            return;
        }
        if (result.Body.Length == 0 || method == HttpMethod.Head) return;

        if (Raw || !LooksLikeJson(result))
        {
            var text = Encoding.UTF8.GetString(result.Body);
            output.Post(() => WriteObject(text));
            return;
        }
        using var body = JsonBody.Read(result, _valueLimit);
        var enumerate = body.IsArray;
        var value = Unwrap ? TypedResults.ConvertUnwrapped(body, Factory, out enumerate) : TypedResults.Convert(body, Factory);
        // Posted, not awaited: nothing follows, so the pipeline need not confirm it.
        output.Post(() => WriteObject(value, enumerate));
    }

    /// <summary>
    /// -All, -Skip and -First: the core's pager walks the pages; this writes each page's items as
    /// it arrives. The next page is requested only after the pipeline has taken this page's items,
    /// so Select-Object -First stops the paging and memory holds one page at a time.
    /// </summary>
    private async Task PageAsync(HttpMethod method, Uri target, Func<HttpContent?>? content, IRequestOutput output, CancellationToken cancellationToken)
    {
        var activity = ServerText.Line(Hop.Describe(method, target), 200);
        var sink = new PageWriter(this, output, activity, cancellationToken);
        var pager = new Pager(PagingParameters.Skip, PagingParameters.First, countAll: PagingParameters.IncludeTotalCount);
        var outcome = await pager.RunAsync(ITwinSession.Context, next => NewCall(method, next, content), target, SkipHttpErrorCheck, sink, output.Log, cancellationToken)
            .ConfigureAwait(false);

        await output.RunAsync(() =>
        {
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            if (outcome.StoppedAtCap is { } cap)
                WriteWarning(ServerText.Line($"{activity} stopped at {cap} items: the API returns at most X-Max-Return items of a listing " +
                    $"(here {cap}). Add -Headers @{{ 'X-Max-Return' = 10000 }} to get up to 10,000.", ServerText.MessageMaximum));
            if (PagingParameters.IncludeTotalCount)
                WriteObject(PagingParameters.NewTotalCount(outcome.Total, outcome.Complete ? 1.0 : 0.0));
        }, cancellationToken).ConfigureAwait(false);
        output.Log.Verbose($"Paging done: {outcome.Pages} page(s), {outcome.Written} item(s) written.");
    }

    /// <summary>Maps the pager's pages to PowerShell output.</summary>
    private sealed class PageWriter : IPageSink
    {
        private readonly InvokeITwinRequestCommand _cmdlet;
        private readonly IRequestOutput _output;
        private readonly string _activity;
        private readonly CancellationToken _cancellationToken;

        public PageWriter(InvokeITwinRequestCommand cmdlet, IRequestOutput output, string activity, CancellationToken cancellationToken)
        {
            _cmdlet = cmdlet;
            _output = output;
            _activity = activity;
            _cancellationToken = cancellationToken;
        }

        public Task ResponseAsync(HttpResult result)
        {
            _cmdlet.Expose(result, _output);
            return Task.CompletedTask;
        }

        public Task WholeAsync(HttpResult result)
        {
            var value = _cmdlet.Raw ? Encoding.UTF8.GetString(result.Body) : _cmdlet.ConvertWhole(result);
            _output.Post(() => _cmdlet.WriteObject(value));
            return Task.CompletedTask;
        }

        public Task ItemsAsync(Page page, int skip, int take, string progress)
        {
            var batch = new List<object?>(take);
            foreach (var item in _cmdlet.Raw ? page.RawItems(skip) : TypedResults.Items(page, _cmdlet.Factory, skip))
            {
                if (batch.Count >= take) break;
                batch.Add(item);
            }
            return _output.RunAsync(() =>
            {
                foreach (var item in batch) _cmdlet.WriteObject(item);
                _cmdlet.WriteProgress(new ProgressRecord(ProgressId, _activity, progress));
            }, _cancellationToken);
        }
    }

    private object? ConvertWhole(HttpResult result)
    {
        if (!LooksLikeJson(result)) return Encoding.UTF8.GetString(result.Body);
        using var body = JsonBody.Read(result, _valueLimit);
        return TypedResults.Convert(body, Factory);
    }

    private JsonValueFactory Factory => AsHashtable ? HashtableFactory.Instance : PSObjectFactory.Instance;

    private static bool LooksLikeJson(HttpResult result) =>
        result.ContentType is null || result.ContentType.IndexOf("json", StringComparison.OrdinalIgnoreCase) >= 0;

    private void Expose(HttpResult result, IRequestOutput output)
    {
        if (StatusCodeVariable is null && ResponseHeadersVariable is null) return;
        output.Post(() =>
        {
            if (StatusCodeVariable is not null) SessionState.PSVariable.Set(StatusCodeVariable, (int)result.StatusCode);
            if (ResponseHeadersVariable is not null)
            {
                var headers = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var header in result.Headers) headers[header.Key] = header.Value;
                SessionState.PSVariable.Set(ResponseHeadersVariable, headers);
            }
        });
    }
}
