using System;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// Where the core's story goes for one command (or one fan-out item): warnings, and -Verbose and -Debug records
/// posted to the pipeline thread, only those the caller's preferences will show (each post wakes
/// the pipeline thread), and every line made safe by <see cref="ServerText"/> first, whatever part
/// of it came from a server.
/// </summary>
internal sealed class CommandLog : ILogSink
{
    /// <summary>The most one verbose or debug line may hold.</summary>
    private const int LineMaximum = 4000;

    private readonly AsyncPSCmdlet _cmdlet;
    private readonly Func<Action, bool> _post;

    public CommandLog(AsyncPSCmdlet cmdlet, Func<Action, bool> post)
    {
        _cmdlet = cmdlet;
        _post = post;
    }

    public bool ShowsVerbose => _cmdlet.ShowsVerbose;
    public bool ShowsDebug => _cmdlet.ShowsDebug;

    public void Verbose(string message)
    {
        if (!_cmdlet.ShowsVerbose) return;
        var line = ServerText.Line(message, LineMaximum);
        _post(() => _cmdlet.WriteVerbose(line));
    }

    public void Warning(string message)
    {
        var line = ServerText.Line(message, ServerText.MessageMaximum);
        _post(() => _cmdlet.WriteWarning(line));
    }

    public void Debug(string message)
    {
        if (!_cmdlet.ShowsDebug) return;
        var line = ServerText.Line(message, LineMaximum);
        _post(() => _cmdlet.WriteDebugRecord(line));
    }
}
