namespace ITwinAuth.Emulator;

/// <summary>The clock the emulated IMS issues tokens by and the emulated API checks their expiry by:
/// the real one, moved forward by what tests ask (POST /_emulator/clock). A test can then let tokens
/// expire at once instead of sleeping, with the module on its own fake clock moved by as much.
/// Frozen, it moves only when told to, so the two clocks cannot drift apart while a test runs.
/// Retry-After dates and everything else stay on the real clock.</summary>
public sealed class EmulatorClock : TimeProvider
{
    private readonly object _gate = new();
    private TimeSpan _offset;
    private DateTimeOffset? _frozenAt;

    public TimeSpan Offset { get { lock (_gate) return _offset; } }
    public bool IsFrozen { get { lock (_gate) return _frozenAt is not null; } }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _frozenAt ?? base.GetUtcNow() + _offset;
    }

    /// <summary>Moves the clock forward (never back: an issued token cannot become younger).</summary>
    public void Advance(TimeSpan span)
    {
        if (span < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(span), "The emulator's clock only moves forward.");
        lock (_gate)
        {
            _offset += span;
            if (_frozenAt is { } frozen) _frozenAt = frozen + span;
        }
    }

    /// <summary>Stops the clock where it is, or lets it run on from there (it never jumps back).</summary>
    public void Freeze(bool freeze)
    {
        lock (_gate)
        {
            if (freeze) _frozenAt ??= base.GetUtcNow() + _offset;
            else if (_frozenAt is { } frozen)
            {
                _offset = frozen - base.GetUtcNow();
                if (_offset < TimeSpan.Zero) _offset = TimeSpan.Zero;
                _frozenAt = null;
            }
        }
    }
}
