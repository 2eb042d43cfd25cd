using System;

namespace ITwinAuth;

/// <summary>
/// A failure the module understands. Its message is written for the user and never holds a
/// secret or a token; <see cref="Target"/> is the input or "METHOD uri", never an object with headers.
/// </summary>
public class ITwinAuthException : Exception
{
    public ITwinAuthException(string errorId, ITwinErrorCategory category, string message, string? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }
    public ITwinErrorCategory Category { get; }
    public string? Target { get; }

    /// <summary>The server's error body, if any, for ErrorDetails.</summary>
    public string? ResponseBody { get; init; }
}
