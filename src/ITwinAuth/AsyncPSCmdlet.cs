using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// Runs a cmdlet's work as a task that Ctrl+C (StopProcessing) cancels, while the pipeline thread
/// pumps what the task posts: output, verbose and debug records, and calls that must run on the
/// pipeline thread (SecretManagement). Output therefore streams while the work goes on. The queue
/// lives as long as the command: work that outlives one record (a fan-out) posts into it, and the
/// next record's or the end's pump runs what it posted.
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IPipelineDispatcher, ILogSink, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly BlockingCollection<Action> _queue = new();


    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => Run(BeginProcessingAsync);
    protected sealed override void ProcessRecord() => Run(ProcessRecordAsync);
    protected sealed override void EndProcessing() => Run(EndProcessingAsync);
    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>
    /// Starts the work on the pipeline thread. If it completes without waiting (as Begin/End
    /// usually do) nothing more is needed; otherwise the pipeline thread pumps what the work posts
    /// until it is done. No thread hop is paid for work that never awaits.
    /// </summary>
    private void Run(Func<CancellationToken, Task> work)
    {
        _verbose ??= IsEnabled(EffectivePreference(VerbosePreferenceProperty));
        _debug ??= IsEnabled(_debugPreference = EffectivePreference(DebugPreferenceProperty));
        Task task;
        try
        {
            try { task = work(_cancel.Token); }
            catch (Exception ex) { task = Task.FromException(ex); }

            if (!task.IsCompleted)
            {
                // Wakes the pump when the work is done, even if it posted nothing.
                task.ContinueWith(_ => Post(static () => { }), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                while (!task.IsCompleted) _queue.Take()();
            }
            // Run whatever was posted meanwhile.
            while (_queue.TryTake(out var action)) action();
        }
        catch
        {
            // Downstream stopped (Select-Object -First) or a write failed: stop the work too.
            _cancel.Cancel();
            throw;
        }

        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (ITwinAuthException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    /// <summary>Queues an action for the pipeline thread; false once the command has ended.</summary>
    private protected bool Post(Action action)
    {
        try
        {
            _queue.Add(action);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            return false; // the command has ended
        }
    }

    /// <summary>A log that goes through <paramref name="post"/> (a fan-out item's ordered output),
    /// posting only what the caller's preferences will show.</summary>
    private protected ILogSink LogThrough(Func<Action, bool> post) => new RoutedLog(this, post);

    private sealed class RoutedLog : ILogSink
    {
        private readonly AsyncPSCmdlet _cmdlet;
        private readonly Func<Action, bool> _post;

        public RoutedLog(AsyncPSCmdlet cmdlet, Func<Action, bool> post)
        {
            _cmdlet = cmdlet;
            _post = post;
        }

        public void Verbose(string message)
        {
            if (_cmdlet._verbose == true) _post(() => _cmdlet.WriteVerbose(message));
        }

        public void Debug(string message)
        {
            if (_cmdlet._debug == true) _post(() => _cmdlet.WriteDebugRecord(message));
        }
    }

    /// <inheritdoc />
    public Task<T> InvokeAsync<T>(Func<T> function, CancellationToken cancellationToken) =>
        PipelineCall.RunAsync(Post, function, failureStopsCommand: false, cancellationToken);

    /// <summary>Runs an action on the pipeline thread and waits until it has run.</summary>
    protected Task InvokeAsync(Action action, CancellationToken cancellationToken) =>
        InvokeAsync(() => { action(); return true; }, cancellationToken);

    protected void WriteObjectAsync(object? value) => Post(() => WriteObject(value));
    protected void WriteObjectAsync(object? value, bool enumerateCollection) => Post(() => WriteObject(value, enumerateCollection));
    protected void WriteErrorAsync(ErrorRecord record) => Post(() => WriteError(record));
    protected void WriteWarningAsync(string message) => Post(() => WriteWarning(message));

    // Each post wakes the pipeline thread: messages nobody will see are not posted at all.
    private bool? _verbose;
    private bool? _debug;

    private static readonly System.Reflection.PropertyInfo? VerbosePreferenceProperty = RuntimePreference("VerbosePreference");
    private static readonly System.Reflection.PropertyInfo? DebugPreferenceProperty = RuntimePreference("DebugPreference");

    /// <summary>
    /// The command runtime's effective preference (-Verbose, or $VerbosePreference as the caller's
    /// scope sees it: GetVariableValue would read the module's scope instead). PowerShell has no
    /// public API for it; if the internal property is ever missing, everything is posted.
    /// </summary>
    private static System.Reflection.PropertyInfo? RuntimePreference(string name) =>
        typeof(PSCmdlet).Assembly.GetType("System.Management.Automation.MshCommandRuntime")
            ?.GetProperty(name, System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    private ActionPreference? EffectivePreference(System.Reflection.PropertyInfo? property)
    {
        try
        {
            return property?.GetValue(CommandRuntime) as ActionPreference?;
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static bool IsEnabled(ActionPreference? preference) =>
        preference is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);

    private ActionPreference? _debugPreference;

    void ILogSink.Verbose(string message)
    {
        if (_verbose == true) Post(() => WriteVerbose(message));
    }

    void ILogSink.Debug(string message)
    {
        if (_debug == true) Post(() => WriteDebugRecord(message));
    }

    private void WriteDebugRecord(string message)
    {
        // Windows PowerShell's -Debug means Inquire, which prompts; the module never prompts.
        if (_debugPreference is ActionPreference.Inquire)
            WriteVerbose("DEBUG: " + message);
        else
            WriteDebug(message);
    }

    protected ILogSink Log => this;

    public void Dispose()
    {
        _queue.CompleteAdding();
        _queue.Dispose();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
