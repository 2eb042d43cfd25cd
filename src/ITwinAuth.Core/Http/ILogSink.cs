namespace ITwinAuth.Core;

/// <summary>Where the core tells its story (-Verbose, -Debug). Messages never carry secrets or tokens.</summary>
public interface ILogSink
{
    void Verbose(string message);
    void Debug(string message);
}

public sealed class NullLogSink : ILogSink
{
    public static readonly NullLogSink Instance = new();
    public void Verbose(string message) { }
    public void Debug(string message) { }
}
