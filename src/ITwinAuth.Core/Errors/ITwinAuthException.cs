using System;
using ITwinAuth.Core;

namespace ITwinAuth;

/// <summary>
/// A failure the module understands. Its message is written for the user and never holds a
/// secret or a token; <see cref="Target"/> is the input or "METHOD uri", never an object with headers.
/// Whatever went into them, both come out through <see cref="ServerText"/>: one line, no control
/// character, no credential in a URI, at most <see cref="ServerText.MessageMaximum"/> characters.
/// </summary>
public class ITwinAuthException : Exception
{
    public ITwinAuthException(string errorId, ITwinErrorCategory category, string message, string? target = null, Exception? inner = null)
        : base(ServerText.Line(message, ServerText.MessageMaximum), inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target is null ? null : ServerText.Line(target);
    }

    public string ErrorId { get; }
    public ITwinErrorCategory Category { get; }
    public string? Target { get; }

    private readonly string? _responseBody;

    /// <summary>An excerpt of the server's error body, if any (at most <see cref="ServerText.DetailsMaximum"/>, made safe).</summary>
    public string? ResponseBody
    {
        get => _responseBody;
        init => _responseBody = value is null ? null : ServerText.Block(value);
    }
}
