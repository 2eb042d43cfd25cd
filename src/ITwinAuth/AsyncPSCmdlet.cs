using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// The base of every ITwinAuth cmdlet: its work runs as a task that Ctrl+C (StopProcessing)
/// cancels, while the pipeline thread pumps what the task posts (<see cref="PipelineDispatcher"/>),
/// so output streams while the work goes on. A module error ends the command as an error record.
/// </summary>
public abstract class AsyncPSCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PipelineDispatcher _dispatcher = new();
    private ActionPreference? _debugPreference;
    private bool _preferencesRead;

    private protected AsyncPSCmdlet() => Log = new CommandLog(this, _dispatcher.Post);

    protected virtual Task BeginProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task ProcessRecordAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    protected virtual Task EndProcessingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected sealed override void BeginProcessing() => Run(BeginProcessingAsync);
    protected sealed override void ProcessRecord() => Run(ProcessRecordAsync);
    protected sealed override void EndProcessing() => Run(EndProcessingAsync);
    protected override void StopProcessing() => _cancel.Cancel();

    /// <summary>Runs work on the pipeline thread; the core's calls there (SecretManagement) go through it.</summary>
    private protected IPipelineDispatcher Dispatcher => _dispatcher;

    /// <summary>The command's -Verbose/-Debug story, for the core.</summary>
    private protected ILogSink Log { get; }

    internal bool ShowsVerbose { get; private set; } = true;
    internal bool ShowsDebug { get; private set; } = true;

    private void Run(Func<CancellationToken, Task> work)
    {
        if (!_preferencesRead)
        {
            _preferencesRead = true;
            ShowsVerbose = RuntimePreferences.Shows(RuntimePreferences.VerboseOf(CommandRuntime));
            ShowsDebug = RuntimePreferences.Shows(_debugPreference = RuntimePreferences.DebugOf(CommandRuntime));
        }
        Task task;
        try
        {
            try { task = work(_cancel.Token); }
            catch (Exception ex) { task = Task.FromException(ex); }
            _dispatcher.Pump(task);
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
    private protected bool Post(Action action) => _dispatcher.Post(action);

    /// <summary>A log that goes through <paramref name="post"/> (a fan-out item's ordered output).</summary>
    private protected ILogSink LogThrough(Func<Action, bool> post) => new CommandLog(this, post);

    /// <summary>Runs a function on the pipeline thread and waits for its result; its failure is the caller's to map.</summary>
    protected Task<T> InvokeAsync<T>(Func<T> function, CancellationToken cancellationToken) =>
        _dispatcher.InvokeAsync(function, cancellationToken);

    protected void WriteObjectAsync(object? value) => Post(() => WriteObject(value));
    protected void WriteObjectAsync(object? value, bool enumerateCollection) => Post(() => WriteObject(value, enumerateCollection));
    protected void WriteErrorAsync(ErrorRecord record) => Post(() => WriteError(record));

    protected void WriteWarningAsync(string message) => Log.Warning(message);

    internal void WriteDebugRecord(string message)
    {
        // Windows PowerShell's -Debug means Inquire, which prompts; the module never prompts.
        if (_debugPreference is ActionPreference.Inquire)
            WriteVerbose("DEBUG: " + message);
        else
            WriteDebug(message);
    }

    public void Dispose()
    {
        _dispatcher.Dispose();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }
}
