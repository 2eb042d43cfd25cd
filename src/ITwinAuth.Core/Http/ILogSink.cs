namespace ITwinAuth.Core;

/// <summary>Where the core tells its story (-Verbose, -Debug) and warns (a fault it worked around).
/// Messages never carry secrets or tokens.</summary>
public interface ILogSink
{
    /// <summary>Whether a verbose line would be seen: a line on every request is not built for no one.</summary>
    bool ShowsVerbose { get; }
    bool ShowsDebug { get; }
    void Verbose(string message);
    void Debug(string message);
    void Warning(string message);
}

public sealed class NullLogSink : ILogSink
{
    public static readonly NullLogSink Instance = new();
    public bool ShowsVerbose => false;
    public bool ShowsDebug => false;
    public void Verbose(string message) { }
    public void Debug(string message) { }
    public void Warning(string message) { }
}
